// A scripted, streaming stand-in for engine/web/engine.js, served in its place by the unit-level
// UI tests (tests/ui/test_chat_ui.py). It answers in OpenAI's chunk shape: "Echo:" and the user's
// words, one word a token every DELAY_MS, up to max_tokens; a message containing "markdown-probe"
// gets the reply the test put in globalThis.fakeReply.
const DELAY_MS = 40;

export async function createEngine(modelId, { initProgressCallback = () => {} } = {}) {
  for (const progress of [0.25, 0.5, 1]) {
    initProgressCallback({ progress, timeElapsed: progress, text: `Loading weights: ${progress * 100}%`, gbPerSecond: 1.5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return new FakeEngine(modelId);
}

class FakeEngine {
  constructor(modelId) {
    this.modelId = modelId;
    this.aborted = false;
    this.requests = [];
    globalThis.fakeEngine = this;
    this.chat = { completions: { create: async (request) => this.create(request) } };
  }

  promptTokens(messages) {
    return messages.flatMap((m) => m.content.split(/\s+/).filter(Boolean)).concat([0, 0]);
  }

  async create(request) {
    this.aborted = false;
    this.requests.push(request);
    const last = request.messages[request.messages.length - 1].content;
    const reply = last.includes("markdown-probe") ? globalThis.fakeReply : `Echo: ${last}`;
    const pieces = reply.match(/\S+\s*|\s+/g) ?? [];
    return this.stream(pieces.slice(0, request.max_tokens ?? pieces.length), pieces.length > (request.max_tokens ?? Infinity));
  }

  async *stream(pieces, truncated) {
    const chunk = (content, finish) => ({ object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
    let sent = 0;
    for (const piece of pieces) {
      if (this.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
      sent++;
      yield chunk(piece, null);
    }
    yield { ...chunk("", this.aborted ? "abort" : truncated ? "length" : "stop"), usage: { prompt_tokens: 3, completion_tokens: sent } };
  }

  interruptGenerate() { this.aborted = true; }
  resetChat() {}
  unload() {}
}
