// A conversation on the webview host: prompt tokens → prefill chunks → decode steps → streamed
// text. The KV cache outlives a turn: the next turn prefills only the tokens after the part of
// its prompt that is already cached.
import { ContextFullError, EngineError } from "./errors.js";
import { TextStreamer } from "./text_stream.js";

/** @typedef {import("./host.js").PlanHost} PlanHost */
/** @typedef {import("./text_stream.js").Decoder} Decoder */
/**
 * @typedef {{
 *   maxTokens?: number, temperature?: number, topP?: number, topK?: number, minP?: number, seed?: number,
 *   repetitionPenalty?: number, frequencyPenalty?: number, presencePenalty?: number,
 *   stopTokenIds?: number[], stop?: string[], signal?: {aborted: boolean},
 * }} GenerateOptions
 */
/**
 * @typedef {{finishReason: "stop" | "length" | "abort", promptTokens: number, completionTokens: number,
 *   prefilledTokens: number, prefillSeconds: number, decodeSeconds: number}} GenerateResult
 */

/** @param {number[]} a @param {number[]} b */
export function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class ChatSession {
  /** @param {PlanHost} host @param {Decoder} tokenizer  turns reply token ids into text */
  constructor(host, tokenizer) {
    this.host = host;
    this.tokenizer = tokenizer;
    /** Token ids whose keys and values sit in the KV cache, at positions 0 .. cached.length - 1. */
    /** @type {number[]} */
    this.cached = [];
    /** Tokens sampled in this request: with the seed it picks the sampler's random stream. */
    this.sampleIndex = 0;
  }

  reset() {
    this.cached = [];
  }

  get context() {
    return this.host.plan.context;
  }

  /**
   * Prefills what is not cached yet of `prompt`, then decodes. Yields text pieces that never end
   * inside a UTF-8 character nor inside a possible stop string; returns how the turn ended.
   * @param {number[]} prompt  the whole conversation's token ids
   * @param {GenerateOptions} options
   * @returns {AsyncGenerator<string, GenerateResult, void>}
   */
  async *generate(prompt, options = {}) {
    if (prompt.length === 0) throw new EngineError("The prompt is empty; type a message first.");
    if (prompt.length >= this.context) {
      throw new ContextFullError(`The conversation (${prompt.length} tokens) does not fit the `
        + `${this.context}-token context; start a new chat or choose a larger context.`);
    }
    const maxTokens = options.maxTokens ?? this.context;
    const stopIds = new Set(options.stopTokenIds ?? []);
    const sampling = samplingFields(options, this.host.plan.vocab_size);

    // Reuse the cached prefix; at least the last prompt token is run again to get its logits.
    const reused = Math.min(commonPrefix(this.cached, prompt), prompt.length - 1);
    this.sampleIndex = 0; // a request's draws depend only on its seed, as the native host's first request
    this.cached = prompt.slice(0, reused);
    const started = performance.now();
    let pos = reused;
    let token = -1;
    while (pos < prompt.length && !options.signal?.aborted) {
      const n = Math.min(this.host.plan.chunk, prompt.length - pos);
      const last = pos + n === prompt.length;
      // A lone last token (a reused cache) goes through the 1-row decode program: a prefill chunk
      // costs its full row capacity whatever n_tokens is.
      const program = !last ? "prefill" : n === 1 ? "decode" : "prefill_last";
      const step = { ...sampling, pos, n_tokens: n, kv_len: pos + n, history_len: pos + n, sample_index: this.sampleIndex };
      this.host.writeHistory(prompt.slice(pos, pos + n), pos);
      const sampled = await this.host.runStep(program, step, prompt.slice(pos, pos + n));
      this.cached.push(...prompt.slice(pos, pos + n));
      pos += n;
      if (last) {
        token = /** @type {number} */ (sampled);
        this.sampleIndex += 1;
      }
    }
    const decodeStarted = performance.now();

    const streamer = new TextStreamer(this.tokenizer, options.stop ?? []);
    /** @type {GenerateResult["finishReason"]} */
    let finishReason = "length";
    let generated = 0;
    for (;;) {
      if (stopIds.has(token)) { finishReason = "stop"; break; }
      if (options.signal?.aborted) { finishReason = "abort"; break; }
      generated += 1;
      const piece = streamer.push(token);
      if (piece) yield piece;
      if (streamer.stopped) { finishReason = "stop"; break; }
      if (generated >= maxTokens || pos >= this.context) break;
      const step = { ...sampling, pos, n_tokens: 1, kv_len: pos + 1, history_len: pos + 1, sample_index: this.sampleIndex };
      this.host.writeHistory([token], pos);
      const next = /** @type {number} */ (await this.host.runStep("decode", step, [token]));
      this.cached.push(token);
      this.sampleIndex += 1;
      pos += 1;
      token = next;
    }
    const rest = streamer.finish();
    if (rest) yield rest;
    const ended = performance.now();
    return {
      finishReason, promptTokens: prompt.length, completionTokens: generated, prefilledTokens: prompt.length - reused,
      prefillSeconds: (decodeStarted - started) / 1000, decodeSeconds: (ended - decodeStarted) / 1000,
    };
  }
}

/** Step fields of the sampler. @param {GenerateOptions} o @param {number} vocabSize */
export function samplingFields(o, vocabSize) {
  return {
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
    temperature: o.temperature ?? 1,
    top_p: o.topP ?? 1,
    top_k: o.topK ?? 0,
    min_p: o.minP ?? 0,
    repetition_penalty: o.repetitionPenalty ?? 1,
    frequency_penalty: o.frequencyPenalty ?? 0,
    presence_penalty: o.presencePenalty ?? 0,
    vocab_size: vocabSize,
  };
}
