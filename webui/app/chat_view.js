// The message list: user messages as plain text, answers as inert Markdown, each with its actions
// (copy; edit-and-resend on user messages; regenerate on the last answer).
import { decorateAnswer } from "./documents_citations.js";
import { byId, copyWithFeedback, el } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

/** @typedef {import("./conversation_store.js").Message} Message */
/**
 * @typedef {{onEdit: (m: Message, text: string) => void, onRegenerate: (m: Message) => void,
 *   busy: () => boolean}} MessageHandlers
 */

const FINISH_NOTES = {
  length: "The answer reached the token limit (Settings → Max tokens).",
  abort: "Stopped.",
  cancelled: "Stopped.",
};

/** A short note under an answer: why it ended early and how many older messages left the prompt. @param {any} meta */
export function answerNote(meta) {
  const notes = [];
  const finish = /** @type {keyof typeof FINISH_NOTES} */ (meta?.finish_reason);
  if (FINISH_NOTES[finish]) notes.push(FINISH_NOTES[finish]);
  if (meta?.dropped_turns > 0) notes.push(`${meta.dropped_turns} older message${meta.dropped_turns === 1 ? "" : "s"} left the prompt to fit the context.`);
  if (meta?.tokens_per_second) notes.push(`${Number(meta.tokens_per_second).toFixed(1)} tok/s`);
  return notes.join(" ");
}

/** @param {Message} message @param {boolean} isLastAnswer @param {MessageHandlers} handlers */
export function messageElement(message, isLastAnswer, handlers) {
  const body = el("div", { class: "message-body" });
  if (message.role === "assistant") renderMarkdown(body, message.content);
  else body.textContent = message.content;
  const copy = el("button", { type: "button", class: "action", "aria-label": "Copy message" }, "Copy");
  copy.addEventListener("click", () => copyWithFeedback(message.content, copy));
  const actions = el("div", { class: "message-actions" }, copy);
  if (message.role === "user") {
    actions.append(el("button", {
      type: "button", class: "action", "aria-label": "Edit and resend",
      onclick: () => { if (!handlers.busy()) startEditing(article, message, handlers); },
    }, "Edit"));
  }
  if (message.role === "assistant" && isLastAnswer) {
    actions.append(el("button", {
      type: "button", class: "action", "aria-label": "Regenerate answer",
      onclick: () => { if (!handlers.busy()) handlers.onRegenerate(message); },
    }, "Regenerate"));
  }
  const sources = message.role === "assistant" ? decorateAnswer(body, message.meta?.documents) : null;
  const note = message.role === "assistant" ? answerNote(message.meta) : "";
  const article = el("article", { class: `message ${message.role}`, "data-message-id": String(message.id) },
    el("div", { class: "message-role" }, message.role === "user" ? "You" : "Hearth"),
    body,
    sources,
    note ? el("p", { class: "message-note" }, note) : null,
    actions);
  return article;
}

/** Swaps a user message for an editor; saving deletes it and what follows, then resends. @param {HTMLElement} article @param {Message} message @param {MessageHandlers} handlers */
function startEditing(article, message, handlers) {
  const editor = /** @type {HTMLTextAreaElement} */ (el("textarea", { class: "field edit-box", "aria-label": "Edit message" }));
  editor.value = message.content;
  const cancel = () => article.replaceWith(messageElement(message, false, handlers));
  const save = () => { if (editor.value.trim()) handlers.onEdit(message, editor.value); };
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); save(); }
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); cancel(); }
  });
  const form = el("div", { class: "edit-form" }, editor,
    el("div", { class: "message-actions" },
      el("button", { type: "button", class: "button primary small", onclick: save }, "Save & resend"),
      el("button", { type: "button", class: "button ghost small", onclick: cancel }, "Cancel")));
  article.querySelector(".message-body")?.replaceWith(form);
  article.querySelector(".message-actions:not(.edit-form .message-actions)")?.remove();
  editor.focus();
}

/** @param {Message[]} messages @param {MessageHandlers} handlers */
export function renderMessages(messages, handlers) {
  const list = byId("messages");
  const lastAnswer = messages.map((m) => m.role).lastIndexOf("assistant");
  list.replaceChildren(...messages.filter((m) => m.role !== "system").map((m) => messageElement(m, messages.indexOf(m) === lastAnswer, handlers)));
  scrollToEnd();
}

export function scrollToEnd() {
  const scroller = byId("scroller");
  scroller.scrollTop = scroller.scrollHeight;
}

/** An answer being streamed: text arrives in pieces, Markdown re-renders at most once a frame. */
export class StreamingAnswer {
  constructor() {
    this.text = "";
    this.body = el("div", { class: "message-body" }, el("span", { class: "typing", "aria-label": "Hearth is writing" }));
    this.article = el("article", { class: "message assistant streaming", "aria-busy": "true" },
      el("div", { class: "message-role" }, "Hearth"), this.body);
    this.pending = false;
    byId("messages").append(this.article);
    scrollToEnd();
  }

  /** @param {string} piece */
  append(piece) {
    this.text += piece;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      const nearEnd = isNearEnd();
      renderMarkdown(this.body, this.text);
      this.body.append(el("span", { class: "cursor", "aria-hidden": "true" }));
      if (nearEnd) scrollToEnd();
    });
  }

  /** Shows why generation failed, in words, with a retry. @param {string} message @param {() => void} retry */
  fail(message, retry) {
    this.article.classList.remove("streaming");
    this.article.classList.add("failed");
    this.article.removeAttribute("aria-busy");
    this.body.replaceChildren(
      el("p", { class: "error-text", role: "alert" }, `Generation failed: ${message}`),
      el("button", { type: "button", class: "button small", onclick: retry }, "Try again"));
  }
}

function isNearEnd() {
  const scroller = byId("scroller");
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}
