// One conversation's flow: save the user's message, fit the history to the context, stream the
// answer from whichever engine is loaded, save it (complete, or partial after a stop).
import { renderMessages, StreamingAnswer } from "./chat_view.js";
import { byId } from "./dom.js";
import { estimateTokens, fitToContext } from "./context_fit.js";
import * as store from "./conversation_store.js";
import { SpeedMeter, showSpeed } from "./status_bar.js";

/** @typedef {import("./conversation_store.js").Conversation} Conversation */
/** @typedef {import("./conversation_store.js").Message} Message */
/** @typedef {import("./engine_choice.js").ChatEngine} ChatEngine */
/** @typedef {import("./settings.js").Settings} Settings */

const TITLE_LENGTH = 48;

export class ChatController {
  /**
   * @param {{engine: () => Promise<ChatEngine>, settings: () => Settings, modelId: () => string,
   *   onConversationsChanged: () => void}} deps
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {Conversation | null} */
    this.conversation = null;
    /** @type {Message[]} */
    this.messages = [];
    /** @type {ChatEngine | null} */
    this.running = null;
    /** True from the moment a message is sent until its answer is saved (set synchronously: no double sends). */
    this.working = false;
    this.stopRequested = false;
    this.handlers = {
      onEdit: (/** @type {Message} */ m, /** @type {string} */ text) => this.editAndResend(m, text),
      onRegenerate: (/** @type {Message} */ m) => this.regenerate(m),
      busy: () => this.working,
    };
  }

  get busy() {
    return this.working;
  }

  /** Runs one send / regenerate / edit: the UI shows it as busy from the first instant to the end. @param {() => Promise<void>} work */
  async exclusive(work) {
    if (this.working) return;
    this.working = true;
    this.stopRequested = false;
    setGenerating(true);
    try {
      await work();
    } finally {
      this.working = false;
      setGenerating(false);
    }
  }

  /** @param {number | null} id */
  async open(id) {
    if (this.busy) this.stop();
    if (id === null) {
      this.conversation = null;
      this.messages = [];
    } else {
      const full = await store.getConversation(id);
      this.conversation = full;
      this.messages = full.messages;
    }
    byId("conversation-title").textContent = this.conversation?.title ?? "New chat";
    /** @type {HTMLTextAreaElement} */ (byId("system-prompt")).value = this.conversation?.system_prompt ?? "";
    this.showContextNotice(0);
    this.render();
  }

  render() {
    renderMessages(this.messages, this.handlers);
    byId("export-conversation").hidden = this.conversation === null;
    byId("welcome").hidden = !(document.body.classList.contains("first-run") && this.messages.length === 0);
  }

  /** @param {string} text */
  async send(text) {
    if (!text.trim()) return;
    await this.exclusive(() => this.sendNow(text));
  }

  /** @param {string} text */
  async sendNow(text) {
    if (!this.conversation) {
      const title = text.trim().replace(/\s+/g, " ").slice(0, TITLE_LENGTH);
      this.conversation = await store.createConversation({
        title, model_id: this.deps.modelId(),
        system_prompt: /** @type {HTMLTextAreaElement} */ (byId("system-prompt")).value,
      });
      byId("conversation-title").textContent = title;
      this.deps.onConversationsChanged();
    }
    this.messages.push(await store.addMessage(this.conversation.id, { role: "user", content: text }));
    this.render();
    await this.generate();
  }

  /** @param {Message} answer */
  async regenerate(answer) {
    const conversation = this.conversation;
    if (!conversation) return;
    await this.exclusive(async () => {
      await store.deleteMessagesFrom(conversation.id, answer.id);
      this.messages = this.messages.filter((m) => m.id < answer.id);
      this.render();
      await this.generate();
    });
  }

  /** @param {Message} message @param {string} text */
  async editAndResend(message, text) {
    const conversation = this.conversation;
    if (!conversation) return;
    await this.exclusive(async () => {
      await store.deleteMessagesFrom(conversation.id, message.id);
      this.messages = this.messages.filter((m) => m.id < message.id);
      await this.sendNow(text);
    });
  }

  stop() {
    this.stopRequested = true;
    this.running?.interruptGenerate();
  }

  /** The prompt for the next answer, and how many older messages it leaves out. @param {ChatEngine} engine */
  prompt(engine) {
    const settings = this.deps.settings();
    const systemText = this.conversation?.system_prompt?.trim();
    const system = systemText ? { role: "system", content: systemText } : null;
    const history = this.messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: m.content }));
    if (!engine.promptTokens) return { messages: system ? [system, ...history] : history, dropped: 0 };
    const count = (/** @type {{role: string, content: string}[]} */ ms) => {
      try { return /** @type {NonNullable<ChatEngine["promptTokens"]>} */ (engine.promptTokens)(ms).length; } catch { return estimateTokens(ms); }
    };
    const fitted = fitToContext(history, system, settings.context_size - settings.max_tokens, count);
    if (!fitted.fits) throw new Error("Your message alone is longer than the context; shorten it or raise Settings → Context size.");
    return fitted;
  }

  async generate() {
    const conversation = /** @type {Conversation} */ (this.conversation);
    const answer = new StreamingAnswer();
    const meter = new SpeedMeter();
    const settings = this.deps.settings();
    let finishReason = "stop";
    let dropped = 0;
    /** @type {any} */
    let usage = null;
    /** @type {any} answers about documents: their citations, documents and style (documents_engine.js) */
    let documents = null;
    try {
      const engine = await this.deps.engine();
      this.running = engine;
      const prompt = this.prompt(engine);
      dropped = prompt.dropped;
      if (this.stopRequested) throw new DOMException("stopped", "AbortError");
      const stream = await engine.chat.completions.create({
        messages: prompt.messages, stream: true, max_tokens: settings.max_tokens,
        temperature: settings.temperature, top_p: settings.top_p,
      });
      for await (const chunk of /** @type {AsyncIterable<any>} */ (stream)) {
        if (chunk.hearth?.dropped_turns !== undefined) dropped = chunk.hearth.dropped_turns;
        const piece = chunk.choices?.[0]?.delta?.content;
        if (piece) { meter.tick(); answer.append(piece); showSpeed(meter.rate(), true); }
        if (chunk.choices?.[0]?.finish_reason) finishReason = chunk.choices[0].finish_reason;
        if (chunk.usage) usage = chunk.usage;
        if (chunk.hearth?.documents) documents = chunk.hearth.documents;
      }
    } catch (error) {
      this.running = null;
      if (error instanceof DOMException && error.name === "AbortError") return this.render();
      console.warn("generation failed", error);
      answer.fail(error instanceof Error ? error.message : String(error), () => {
        answer.article.remove();
        this.exclusive(() => this.generate());
      });
      return undefined;
    }
    this.running = null;
    if (this.stopRequested && finishReason === "stop") finishReason = "abort";
    const rate = usage?.extra?.decode_tokens_per_s ?? meter.rate();
    showSpeed(rate, false);
    const meta = { finish_reason: finishReason, usage, dropped_turns: dropped, tokens_per_second: rate, ...(documents ? { documents } : {}) };
    this.showContextNotice(dropped);
    if (!answer.text && (finishReason === "abort" || finishReason === "cancelled")) {
      this.render();
      return undefined;
    }
    try {
      if (this.conversation?.id === conversation.id) {
        this.messages.push(await store.addMessage(conversation.id, { role: "assistant", content: answer.text, meta }));
      } else {
        await store.addMessage(conversation.id, { role: "assistant", content: answer.text, meta });
      }
    } finally {
      if (this.conversation?.id === conversation.id) this.render();
      this.deps.onConversationsChanged();
    }
    return undefined;
  }

  /** @param {number} dropped */
  showContextNotice(dropped) {
    const notice = byId("context-notice");
    notice.hidden = dropped === 0;
    notice.textContent = dropped ? `This conversation is longer than the context: the ${dropped} oldest message${dropped === 1 ? "" : "s"} left the prompt (the system prompt stays). Raise Settings → Context size to keep more.` : "";
  }

  /** Saves the system prompt of the open conversation (new conversations take it when created). @param {string} text */
  async saveSystemPrompt(text) {
    if (this.conversation) this.conversation = await store.updateConversation(this.conversation.id, { system_prompt: text });
  }
}

/** @param {boolean} on */
function setGenerating(on) {
  byId("send").hidden = on;
  byId("stop").hidden = !on;
  document.body.classList.toggle("generating", on);
}
