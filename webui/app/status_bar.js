// The status bar: which engine and adapter run the model, the model, and live tokens per second.
import { byId } from "./dom.js";

/** @param {import("./engine_choice.js").EngineChoice} choice */
export function showEngine(choice) {
  const engine = byId("status-engine");
  engine.textContent = choice.kind === "webview" ? "Engine: webview (WebGPU)" : "Engine: native";
  engine.title = `Why: ${choice.reason}`;
  byId("status-adapter").textContent = choice.adapter ? `Adapter: ${choice.adapter}` : "";
}

/** @param {string} adapter */
export function showAdapter(adapter) {
  if (adapter) byId("status-adapter").textContent = `Adapter: ${adapter}`;
}

/** @param {string} name */
export function showModel(name) {
  byId("status-model").textContent = name ? `Model: ${name}` : "No model";
}

/** @param {number | null} tokensPerSecond @param {boolean} live */
export function showSpeed(tokensPerSecond, live) {
  const speed = byId("status-speed");
  speed.textContent = tokensPerSecond === null ? "" : `${tokensPerSecond.toFixed(1)} tok/s${live ? "" : " (last answer)"}`;
  speed.classList.toggle("live", live);
}

/** Counts streamed tokens against the clock from the first one (prefill excluded). */
export class SpeedMeter {
  constructor() {
    this.first = 0;
    this.tokens = 0;
  }

  tick() {
    if (this.tokens === 0) this.first = performance.now();
    this.tokens++;
  }

  /** Decode tokens per second so far, or null before two tokens. */
  rate() {
    const seconds = (performance.now() - this.first) / 1000;
    return this.tokens > 1 && seconds > 0 ? (this.tokens - 1) / seconds : null;
  }
}
