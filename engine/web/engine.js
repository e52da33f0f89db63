// The webview engine behind an OpenAI / WebLLM-shaped API: createEngine(modelId) then
// engine.chat.completions.create({messages, stream, ...}). The UI talks to this interface only,
// so the native host's server-sent events can stand in for it.
import { renderChat } from "./chat_template.js";
import { EngineError } from "./errors.js";
import { PlanHost, probeAdapter } from "./host.js";
import { ChatSession } from "./session.js";
import { TextTokenizer } from "./tokenizer.js";

/** @typedef {{role: string, content: string | {type: string, text?: string}[]}} ChatMessage */
/**
 * @typedef {{messages: ChatMessage[], stream?: boolean, max_tokens?: number, temperature?: number,
 *   top_p?: number, seed?: number, stop?: string | string[], frequency_penalty?: number,
 *   presence_penalty?: number, repetition_penalty?: number, top_k?: number, min_p?: number}} ChatRequest
 */
/**
 * @typedef {{id: string, architecture: string, context_length: number, chat_template: string | null,
 *   bos_token: string, eos_token: string, stop_token_ids: number[]}} ModelInfo
 */
/** @typedef {{progress: number, timeElapsed: number, text: string, gbPerSecond?: number}} InitProgress */

const API = "/api/engine";

/** @param {string} url */
async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new EngineError(body.error ?? `The engine API answered ${response.status}; restart Hearth.`);
  return body;
}

/**
 * Loads a model from the store onto this webview's GPU.
 * @param {string} modelId
 * @param {{initProgressCallback?: (p: InitProgress) => void, contextSize?: number}} [options]
 */
export async function createEngine(modelId, { initProgressCallback = () => {}, contextSize = 2048 } = {}) {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  initProgressCallback({ progress: 0, timeElapsed: 0, text: "Looking for a WebGPU adapter" });
  const { adapter, traits } = await probeAdapter();
  if (!adapter) throw new EngineError("This webview has no WebGPU adapter; Hearth will use the native engine instead.");
  const model = encodeURIComponent(modelId);
  const info = /** @type {ModelInfo} */ (await getJson(`${API}/model?model=${model}`));
  const adapterParam = encodeURIComponent(JSON.stringify(traits));
  const plan = await getJson(`${API}/plan?model=${model}&context=${contextSize}&adapter=${adapterParam}`);
  const tokenizer = await TextTokenizer.load(`/models/${model}/tokenizer.json`);
  const host = await PlanHost.load(plan, {
    adapter, modelUrl: `/models/${model}`,
    onProgress: (p) => initProgressCallback({
      progress: 0.95 * (p.totalBytes ? p.loadedBytes / p.totalBytes : 1), timeElapsed: elapsed(),
      gbPerSecond: p.gbPerSecond,
      text: `Loading weights: ${(p.loadedBytes / 1e6).toFixed(0)} / ${(p.totalBytes / 1e6).toFixed(0)} MB, ${p.gbPerSecond.toFixed(2)} GB/s`,
    }),
  });
  const loadSeconds = elapsed();
  initProgressCallback({ progress: 1, timeElapsed: loadSeconds, text: "Ready" });
  return new WebEngine(info, host, tokenizer, loadSeconds);
}

export class WebEngine {
  /** @param {ModelInfo} info @param {PlanHost} host @param {TextTokenizer} tokenizer @param {number} loadSeconds */
  constructor(info, host, tokenizer, loadSeconds) {
    this.info = info;
    this.host = host;
    this.tokenizer = tokenizer;
    // Replies leave special tokens out, as the native host's text does.
    const replyOptions = { skip_special_tokens: true, clean_up_tokenization_spaces: false };
    const replyDecoder = { decode: (/** @type {number[]} */ ids) => tokenizer.inner.decode(ids, replyOptions) };
    this.session = new ChatSession(host, replyDecoder);
    this.loadSeconds = loadSeconds;
    this.interrupted = { aborted: false };
    /** @type {Promise<unknown>} generations run one at a time, in call order */
    this.queue = Promise.resolve();
    this.chat = { completions: { create: (/** @type {ChatRequest} */ request) => this.create(request) } };
  }

  /** Token ids of a conversation, rendered with the model's chat template. @param {ChatMessage[]} messages */
  promptTokens(messages) {
    if (!Array.isArray(messages) || messages.length === 0) throw new EngineError("messages must be a non-empty list; send at least one user message.");
    if (!this.info.chat_template) throw new EngineError("This model has no chat template; use a chat (instruct) model.");
    const plain = messages.map((m) => ({
      role: m.role,
      content: typeof m.content === "string" ? m.content : m.content.map((part) => part.text ?? "").join(""),
    }));
    const text = renderChat(this.info.chat_template, plain, {
      addGenerationPrompt: true, bosToken: this.info.bos_token, eosToken: this.info.eos_token,
    });
    return this.tokenizer.encode(text, false);
  }

  /** @param {ChatRequest} request @returns {import("./session.js").GenerateOptions} */
  options(request) {
    const stop = request.stop === undefined ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
    this.interrupted = { aborted: false };
    return {
      maxTokens: request.max_tokens ?? undefined, temperature: request.temperature ?? 1, topP: request.top_p ?? 1,
      topK: request.top_k ?? 0, minP: request.min_p ?? 0, seed: request.seed ?? undefined,
      frequencyPenalty: request.frequency_penalty ?? 0, presencePenalty: request.presence_penalty ?? 0,
      repetitionPenalty: request.repetition_penalty ?? 1, stop, stopTokenIds: this.info.stop_token_ids,
      signal: this.interrupted,
    };
  }

  /** @param {ChatRequest} request */
  async create(request) {
    const prompt = this.promptTokens(request.messages);
    const options = this.options(request);
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const base = { id, created, model: this.info.id };
    if (request.stream) return this.streamChunks(prompt, options, base);
    let content = "";
    let result;
    for await (const chunk of this.streamChunks(prompt, options, base)) {
      content += chunk.choices[0].delta.content ?? "";
      result = chunk;
    }
    const last = /** @type {NonNullable<typeof result>} */ (result);
    return {
      ...base, object: "chat.completion", usage: last.usage,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: last.choices[0].finish_reason, logprobs: null }],
    };
  }

  /**
   * Chunks in OpenAI's shape; the last one carries finish_reason and usage.
   * @param {number[]} prompt @param {import("./session.js").GenerateOptions} options
   * @param {{id: string, created: number, model: string}} base
   */
  async *streamChunks(prompt, options, base) {
    /** @type {() => void} */
    let release = () => {};
    const previous = this.queue;
    this.queue = new Promise((resolve) => { release = () => resolve(undefined); });
    await previous;
    try {
      const chunk = (/** @type {string} */ content, /** @type {string | null} */ finish) => ({
        ...base, object: "chat.completion.chunk",
        choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: finish, logprobs: null }],
      });
      const generation = this.session.generate(prompt, options);
      let step = await generation.next();
      while (!step.done) {
        yield { ...chunk(step.value, null), usage: undefined };
        step = await generation.next();
      }
      const r = step.value;
      const finish = r.finishReason === "abort" ? "abort" : r.finishReason;
      yield {
        ...chunk("", finish),
        usage: {
          prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens,
          total_tokens: r.promptTokens + r.completionTokens,
          extra: {
            prefilled_tokens: r.prefilledTokens,
            prefill_tokens_per_s: r.prefillSeconds > 0 ? r.prefilledTokens / r.prefillSeconds : 0,
            decode_tokens_per_s: r.decodeSeconds > 0 ? (r.completionTokens - 1) / r.decodeSeconds : 0,
            load_seconds: this.loadSeconds,
          },
        },
      };
    } finally {
      release();
    }
  }

  /** Stops the running generation after its current step; it ends with finish_reason "abort". */
  interruptGenerate() {
    this.interrupted.aborted = true;
  }

  /** Forgets the conversation (and with it the KV cache's reuse). */
  resetChat() {
    this.session.reset();
  }

  unload() {
    this.host.destroy();
  }
}
