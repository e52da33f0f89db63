// Which engine runs the model: the webview host when this webview gives a WebGPU adapter, else the
// native host through the local server; the "engine" setting can force either. Both speak the
// same OpenAI-shaped chat.completions interface.
import { NativeEngine } from "./native_engine.js";

/**
 * @typedef {{messages: {role: string, content: string}[], stream?: boolean, max_tokens?: number,
 *   temperature?: number, top_p?: number, seed?: number, stop?: string | string[]}} ChatRequest
 */
/**
 * @typedef {{choices: {delta: {content?: string}, finish_reason: string | null}[],
 *   usage?: {prompt_tokens: number, completion_tokens: number, extra?: {decode_tokens_per_s?: number}}}} ChatChunk
 */
/**
 * @typedef {{chat: {completions: {create: (r: ChatRequest) => Promise<AsyncIterable<ChatChunk>>}},
 *   interruptGenerate: () => void, resetChat?: () => void, unload?: () => void,
 *   promptTokens?: (messages: {role: string, content: string}[]) => number[]}} ChatEngine
 */
/** @typedef {{progress: number, text: string, gbPerSecond?: number, timeElapsed?: number}} LoadProgress */
/** @typedef {{kind: "webview" | "native", adapter: string, reason: string}} EngineChoice */

/** The WebGPU adapter's name, or null when this webview has none. */
export async function probeWebGpu() {
  const gpu = /** @type {any} */ (navigator).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return [info.description, info.vendor, info.architecture].filter(Boolean).join(" · ") || "WebGPU adapter";
  } catch {
    return null;
  }
}

/** @param {"auto" | "webview" | "native"} preference @param {() => Promise<string | null>} [probe] @returns {Promise<EngineChoice>} */
export async function chooseEngine(preference, probe = probeWebGpu) {
  if (preference === "native") return { kind: "native", adapter: "", reason: "chosen in Settings" };
  const adapter = await probe();
  if (adapter) return { kind: "webview", adapter, reason: preference === "webview" ? "chosen in Settings" : "this webview has WebGPU" };
  const reason = preference === "webview"
    ? "the webview engine was chosen but this webview has no WebGPU adapter"
    : "this webview has no WebGPU adapter";
  return { kind: "native", adapter: "", reason };
}

/**
 * Loads `modelId` on the chosen engine.
 * @param {EngineChoice} choice @param {string} modelId
 * @param {{contextSize: number, onProgress: (p: LoadProgress) => void}} options
 * @returns {Promise<ChatEngine>}
 */
export async function loadEngine(choice, modelId, { contextSize, onProgress }) {
  if (choice.kind === "native") {
    const engine = new NativeEngine(modelId, { contextSize });
    await engine.load(onProgress);
    return engine;
  }
  const { createEngine } = await import("/engine/engine.js");
  return /** @type {ChatEngine} */ (/** @type {unknown} */ (await createEngine(modelId, { initProgressCallback: onProgress, contextSize })));
}
