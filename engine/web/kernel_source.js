// Kernel sources for the webview host, fetched from the local server's /kernels route.
import { EngineError } from "./errors.js";

const INCLUDE = /^\/\/!include (\w+)\s*$/gm;

/**
 * A kernel's WGSL with `//!include NAME` lines expanded, as engine/kernels/__init__.py does.
 * @param {string} base @param {string} name @param {(name: string) => Promise<string>} include
 */
export async function fetchKernel(base, name, include) {
  const response = await fetch(`${base}/${name}.wgsl`);
  if (!response.ok) throw new EngineError(`Kernel ${name} could not be loaded (${response.status}); reinstall Hearth.`);
  const text = await response.text();
  const names = [...text.matchAll(INCLUDE)].map((m) => m[1]);
  const included = new Map(await Promise.all(names.map(async (n) => /** @type {[string, string]} */ ([n, await include(n)]))));
  return text.replace(INCLUDE, (_, n) => /** @type {string} */ (included.get(n)));
}
