// The native host behind the same OpenAI-shaped interface as engine/web/engine.js: the local server
// runs the model in Python (wgpu-native) and streams chat.completion.chunk objects as server-sent
// events from POST /v1/chat/completions (docs/api.md), so the chat view cannot tell the two engines
// apart. The server fits long conversations to the context itself and reports hearth.dropped_turns.
// `load` puts the model on the GPU first (POST /api/engine/load, a job) so a progress bar shows the
// weights' upload instead of a first answer that waits in silence.
import { api } from "./api.js";
import { formatBytes } from "./dom.js";

/** @typedef {import("./engine_choice.js").ChatRequest} ChatRequest */
/** @typedef {import("./engine_choice.js").LoadProgress} LoadProgress */
/** @typedef {{id: string, state: string, bytes_done: number, bytes_total: number | null,
 *   bytes_per_second: number | null, error: string | null, started: number}} LoadJob */

const LOAD_POLL_MS = 250;
const ALMOST = 0.99; // the bar stays short of full until the kernels are compiled too

export class NativeEngineError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "NativeEngineError";
  }
}

/** Splits a server-sent-event byte stream into the JSON payloads of its `data:` lines. @param {ReadableStream<Uint8Array>} body */
export async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, "");
      const data = event.split(/\r?\n/).filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n");
      if (data) yield data;
    }
  }
}

/** What the load bar shows for a load job. @param {LoadJob} job @param {string} modelId @returns {LoadProgress} */
export function loadProgress(job, modelId) {
  if (job.state === "done") return { progress: 1, text: `Loaded ${modelId}` };
  const total = job.bytes_total ?? 0;
  const done = job.bytes_done ?? 0;
  const gbPerSecond = (job.bytes_per_second ?? 0) / 1e9;
  const timeElapsed = Math.max(0, Date.now() / 1000 - job.started);
  if (total > 0 && done >= total) {
    return { progress: ALMOST, text: `Preparing ${modelId}'s kernels on the native engine…`, gbPerSecond, timeElapsed };
  }
  const bytes = total > 0 ? `: ${formatBytes(done)} of ${formatBytes(total)}` : "…";
  const rate = gbPerSecond > 0 ? `, ${gbPerSecond.toFixed(2)} GB/s` : "";
  return { progress: total > 0 ? Math.min(ALMOST, done / total) : 0, text: `Loading ${modelId} on the native engine${bytes}${rate}`, gbPerSecond, timeElapsed };
}

export class NativeEngine {
  /** @param {string} modelId @param {{contextSize?: number}} [options] */
  constructor(modelId, { contextSize } = {}) {
    this.modelId = modelId;
    this.contextSize = contextSize;
    /** @type {AbortController | null} */
    this.controller = null;
    this.chat = { completions: { create: (/** @type {ChatRequest} */ request) => this.create(request) } };
  }

  /** Loads the model on the native host, reporting the job's progress. @param {(p: LoadProgress) => void} onProgress */
  async load(onProgress) {
    /** @type {LoadJob} */
    let job = await api.post("/api/engine/load", { model: this.modelId, context: this.contextSize });
    for (;;) {
      onProgress(loadProgress(job, this.modelId));
      if (job.state !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, LOAD_POLL_MS));
      job = await api.get(`/api/jobs/${encodeURIComponent(job.id)}`);
    }
    if (job.state !== "done") throw new NativeEngineError(job.error ?? `Loading ${this.modelId} was cancelled; choose the model again.`);
  }

  /** @param {ChatRequest} request */
  async create(request) {
    this.controller = new AbortController();
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...request, model: this.modelId, stream: true,
        hearth: { context_size: this.contextSize, request_id: crypto.randomUUID() },
      }),
      signal: this.controller.signal,
    });
    if (!response.ok || !response.body) {
      const body = await response.json().catch(() => ({}));
      const message = body.error?.message ?? body.error ?? `The native engine answered ${response.status}; check that Hearth is still running.`;
      throw new NativeEngineError(String(message));
    }
    return this.chunks(response.body);
  }

  /** @param {ReadableStream<Uint8Array>} body */
  async *chunks(body) {
    let aborted = false;
    try {
      for await (const data of sseData(body)) {
        if (data === "[DONE]") return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new NativeEngineError(String(chunk.error.message ?? chunk.error));
        yield chunk;
      }
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "AbortError")) throw error;
      aborted = true;
    }
    if (aborted) yield { object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "abort" }] };
  }

  /** Stops the running generation: closing the connection stops the server before its next token. */
  interruptGenerate() {
    this.controller?.abort();
  }

  resetChat() {}

  unload() {
    this.interruptGenerate();
  }
}
