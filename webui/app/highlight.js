// Syntax colouring for code blocks: highlight.js core (loaded by index.html through the CommonJS
// shim) plus a few common languages, registered from their ES module builds.
import bash from "/vendor/highlight.js/es/languages/bash.js";
import c from "/vendor/highlight.js/es/languages/c.js";
import cpp from "/vendor/highlight.js/es/languages/cpp.js";
import css from "/vendor/highlight.js/es/languages/css.js";
import go from "/vendor/highlight.js/es/languages/go.js";
import java from "/vendor/highlight.js/es/languages/java.js";
import javascript from "/vendor/highlight.js/es/languages/javascript.js";
import json from "/vendor/highlight.js/es/languages/json.js";
import python from "/vendor/highlight.js/es/languages/python.js";
import rust from "/vendor/highlight.js/es/languages/rust.js";
import sql from "/vendor/highlight.js/es/languages/sql.js";
import typescript from "/vendor/highlight.js/es/languages/typescript.js";
import xml from "/vendor/highlight.js/es/languages/xml.js";
import yaml from "/vendor/highlight.js/es/languages/yaml.js";

/** @typedef {{highlight: (code: string, o: {language: string, ignoreIllegals: boolean}) => {value: string},
 *   getLanguage: (name: string) => unknown, registerLanguage: (name: string, fn: unknown) => void}} Highlighter */

/** @type {Highlighter | null} */
const hljs = /** @type {any} */ (window).module?.exports?.highlight ? /** @type {any} */ (window).module.exports : null;
const LANGUAGES = { bash, c, cpp, css, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
if (hljs) for (const [name, definition] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, definition);

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Highlighted HTML for code in a language, or escaped text when the language is unknown. @param {string} code @param {string} language */
export function highlightCode(code, language) {
  const label = escapeHtml(language);
  if (hljs && language && hljs.getLanguage(language)) {
    return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, label };
  }
  return { html: escapeHtml(code), label };
}
