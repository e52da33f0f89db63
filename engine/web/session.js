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
  /**
   * @param {PlanHost} host @param {Decoder} tokenizer  turns reply token ids into text
   * @param {{pipelined?: boolean}} [options]  pipelined (the default): decode keeps one step queued
   *   ahead of the token being read. false: one step at a time through host.runStep (tests that
   *   read every step's logits wrap runStep and ask for this).
   */
  constructor(host, tokenizer, { pipelined = true } = {}) {
    this.host = host;
    this.tokenizer = tokenizer;
    this.pipelined = pipelined;
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
   *
   * Pipelined, the step feeding token k is submitted before token k is read (the sampler left it in
   * the tokens buffer and the history on the GPU), so the GPU computes while this thread waits,
   * decodes text and yields. A step queued behind a token that ends the reply (EOS, a stop string,
   * an interrupt) is discarded: position and sample index go back over it, and its K/V slot and
   * history entry are overwritten before any later step reads them, so the output is the same as
   * one step at a time.
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
    const host = this.host;
    host.dropPending(); // steps an abandoned generation left queued

    // Reuse the cached prefix; at least the last prompt token is run again to get its logits.
    const reused = Math.min(commonPrefix(this.cached, prompt), prompt.length - 1);
    this.sampleIndex = 0; // a request's draws depend only on its seed, as the native host's first request
    this.cached = prompt.slice(0, reused);
    let pos = reused; // positions the KV cache holds, counting those of steps still in flight
    /** @type {number[]} sampled tokens of steps run one at a time, not taken yet */
    const ready = [];
    let inFlight = 0; // submitted sampling steps whose token was not taken yet

    /** Runs (pipelined: queues) one step at `pos`; tokens null feeds the token on the GPU. @param {string} program @param {number[] | null} tokens */
    const submit = async (program, tokens) => {
      const n = tokens ? tokens.length : 1;
      const step = { ...sampling, pos, n_tokens: n, kv_len: pos + n, history_len: pos + n, sample_index: this.sampleIndex };
      if (tokens) host.writeHistory(tokens, pos);
      pos += n;
      if (this.pipelined) host.submitStep(program, step, tokens);
      const sampled = this.pipelined ? null : await host.runStep(program, step, /** @type {number[]} */ (tokens));
      if (program === "prefill") return;
      this.sampleIndex += 1;
      inFlight += 1;
      if (sampled !== null) ready.push(sampled);
    };
    const take = async () => {
      inFlight -= 1;
      return this.pipelined ? host.readToken() : /** @type {number} */ (ready.shift());
    };
    /** Whether the step feeding the k-th reply token may run: known before that token is. @param {number} k */
    const wanted = (k) => k < maxTokens && pos + 1 <= this.context;

    const started = performance.now();
    let token = -1;
    let generated = 0;
    /** @type {GenerateResult["finishReason"]} */
    let finishReason = "length";
    const streamer = new TextStreamer(this.tokenizer, options.stop ?? []);
    let decodeStarted = started;
    try {
      let next = reused;
      while (next < prompt.length && !options.signal?.aborted) {
        const n = Math.min(host.plan.chunk, prompt.length - next);
        const last = next + n === prompt.length;
        // A lone last token (a reused cache) goes through the 1-row decode program: a prefill chunk
        // costs its full row capacity whatever n_tokens is.
        await submit(!last ? "prefill" : n === 1 ? "decode" : "prefill_last", prompt.slice(next, next + n));
        next += n;
      }
      this.cached = prompt.slice(0, pos);
      if (inFlight) {
        if (this.pipelined && wanted(1)) await submit("decode", null);
        token = await take();
      }
      decodeStarted = performance.now();

      for (;;) {
        if (stopIds.has(token)) { finishReason = "stop"; break; }
        if (options.signal?.aborted) { finishReason = "abort"; break; }
        generated += 1;
        const piece = streamer.push(token);
        if (piece) yield piece;
        if (streamer.stopped) { finishReason = "stop"; break; }
        if (inFlight === 0) {
          // one step at a time, or the pipelined step for this token was not wanted
          if (this.pipelined || !wanted(generated)) break;
          await submit("decode", [token]);
        } else if (wanted(generated + 1)) {
          await submit("decode", null);
        }
        const fed = token;
        token = await take();
        this.cached.push(fed);
      }
    } finally {
      // Discard the step queued behind the last token: its draw is given back, its position is not
      // in `cached` (the next request overwrites its K/V slot and history entry) and its token is
      // never read.
      this.sampleIndex -= inFlight;
      host.dropPending();
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
