// The sidebar: conversations newest first, search over titles and messages, rename, delete,
// export as Markdown.
import { byId, el, saveText } from "./dom.js";
import * as store from "./conversation_store.js";

/** @typedef {import("./conversation_store.js").Conversation} Conversation */

export class ConversationList {
  /** @param {{open: (id: number | null) => void, activeId: () => number | null}} deps */
  constructor(deps) {
    this.deps = deps;
    this.search = /** @type {HTMLInputElement} */ (byId("conversation-search"));
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    this.search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => this.refresh(), 200); });
    byId("new-chat").addEventListener("click", () => this.deps.open(null));
    byId("export-conversation").addEventListener("click", () => {
      const id = this.deps.activeId();
      if (id !== null) this.export(id);
    });
  }

  async refresh() {
    const conversations = await store.listConversations(this.search.value);
    const active = this.deps.activeId();
    byId("conversation-list").replaceChildren(...conversations.map((c) => this.item(c, c.id === active)));
    byId("conversation-empty").hidden = conversations.length > 0;
    byId("conversation-empty").textContent = this.search.value.trim() ? "No conversation matches." : "No conversations yet.";
  }

  /** @param {Conversation} conversation @param {boolean} active */
  item(conversation, active) {
    const open = el("button", {
      type: "button", class: "conversation-open", "aria-current": active ? "page" : "false",
      onclick: () => this.deps.open(conversation.id),
    }, el("span", { class: "conversation-name" }, conversation.title || "Untitled"),
    conversation.snippet ? el("span", { class: "conversation-snippet" }, conversation.snippet) : null);
    const rename = el("button", { type: "button", class: "icon-button", "aria-label": `Rename ${conversation.title}`, title: "Rename",
      onclick: () => this.rename(conversation, item) }, "✎");
    const remove = el("button", { type: "button", class: "icon-button", "aria-label": `Delete ${conversation.title}`, title: "Delete",
      onclick: () => this.remove(conversation) }, "✕");
    const item = el("li", { class: `conversation-item${active ? " active" : ""}` }, open, el("span", { class: "conversation-tools" }, rename, remove));
    return item;
  }

  /** @param {Conversation} conversation @param {HTMLElement} item */
  rename(conversation, item) {
    const input = /** @type {HTMLInputElement} */ (el("input", { class: "field rename-field", "aria-label": "New name" }));
    input.value = conversation.title;
    let done = false;
    const finish = async (/** @type {boolean} */ save) => {
      if (done) return;
      done = true;
      if (save && input.value.trim() && input.value.trim() !== conversation.title) {
        await store.updateConversation(conversation.id, { title: input.value.trim() });
        if (this.deps.activeId() === conversation.id) byId("conversation-title").textContent = input.value.trim();
      }
      await this.refresh();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); finish(true); }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); finish(false); }
    });
    input.addEventListener("blur", () => finish(true));
    item.replaceChildren(input);
    input.focus();
    input.select();
  }

  /** @param {Conversation} conversation */
  async remove(conversation) {
    if (!confirm(`Delete “${conversation.title}”? This cannot be undone.`)) return;
    await store.deleteConversation(conversation.id);
    if (this.deps.activeId() === conversation.id) this.deps.open(null);
    await this.refresh();
  }

  /** @param {number} id */
  async export(id) {
    const markdown = await store.exportMarkdown(id);
    const title = byId("conversation-title").textContent || "conversation";
    saveText(`${title.replace(/[^\w\- ]+/g, "").trim() || "conversation"}.md`, markdown);
  }
}
