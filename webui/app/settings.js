// Generation and engine settings, kept in localStorage (they belong to this window, not to a
// conversation); the dialog edits them.
import { byId } from "./dom.js";

/** @typedef {{temperature: number, top_p: number, max_tokens: number, context_size: number, engine: "auto" | "webview" | "native"}} Settings */

/** @type {Settings} */
export const DEFAULT_SETTINGS = { temperature: 0.7, top_p: 0.95, max_tokens: 512, context_size: 2048, engine: "auto" };
const KEY = "hearth.settings";
const LIMITS = { temperature: [0, 2], top_p: [0.05, 1], max_tokens: [1, 32768], context_size: [256, 131072] };

/** @param {Partial<Record<keyof Settings, unknown>>} raw @returns {Settings} */
export function normalizeSettings(raw) {
  const settings = { ...DEFAULT_SETTINGS };
  for (const [name, [low, high]] of Object.entries(LIMITS)) {
    const value = Number(raw[/** @type {keyof Settings} */ (name)]);
    if (Number.isFinite(value)) /** @type {any} */ (settings)[name] = Math.min(high, Math.max(low, value));
  }
  for (const name of ["max_tokens", "context_size"]) /** @type {any} */ (settings)[name] = Math.round(/** @type {any} */ (settings)[name]);
  if (raw.engine === "webview" || raw.engine === "native" || raw.engine === "auto") settings.engine = raw.engine;
  return settings;
}

export function loadSettings() {
  try {
    return normalizeSettings(JSON.parse(localStorage.getItem(KEY) || "{}"));
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/** @param {Settings} settings */
export function saveSettings(settings) {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

/** Wires the settings dialog; `onChange` gets the saved settings and the previous ones. @param {(s: Settings, before: Settings) => void} onChange */
export function setupSettingsDialog(onChange) {
  const dialog = /** @type {HTMLDialogElement} */ (byId("settings-dialog"));
  const form = /** @type {HTMLFormElement} */ (byId("settings-form"));
  const fill = (/** @type {Settings} */ s) => {
    for (const [name, value] of Object.entries(s)) {
      const field = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(name));
      if (field) field.value = String(value);
    }
  };
  byId("open-settings").addEventListener("click", () => { fill(loadSettings()); dialog.showModal(); });
  byId("settings-reset").addEventListener("click", () => fill(DEFAULT_SETTINGS));
  form.addEventListener("submit", () => {
    const before = loadSettings();
    const after = normalizeSettings(Object.fromEntries(new FormData(form)));
    saveSettings(after);
    onChange(after, before);
  });
}
