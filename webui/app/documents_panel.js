// The Documents panel: add files (drop, dialog, path) as a job with a status per file, the library
// with each document's state, Summarize with a style, and the documents this chat asks about (shown
// above the composer). With documents in scope, messages go to DocumentsEngine instead of the chat
// model, so answers cite [1], [2]. A dropped document is summarized at once when "Summarize new
// documents" is ticked: that is what dragging a PDF onto the window is for.
import { api } from "./api.js";
import { byId, el, formatBytes } from "./dom.js";
import { choosePaths, setupDrops } from "./documents_drop.js";
import { DocumentsEngine } from "./documents_engine.js";

/** @typedef {{id: number, name: string, path: string, kind: string, pages: number | null, chunk_count: number, size_bytes: number, status: string}} LibraryDocument */

export const STYLE_LABELS = { brief: "brief", detailed: "detailed", bullets: "bullet points", facts: "key facts" };
const POLL_MS = 300;
const FILE_STATUS = { waiting: "waiting", reading: "reading…", added: "added", reindexed: "re-indexed", unchanged: "already in the library", failed: "failed", cancelled: "cancelled" };

export class DocumentsPanel {
  /**
   * @param {{send: (text: string) => Promise<void>, busy: () => boolean, conversationId: () => number | null,
   *   settings: () => import("./settings.js").Settings, modelId: () => string}} deps
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {LibraryDocument[]} */
    this.documents = [];
    /** @type {number[]} the documents the open conversation asks about */
    this.scope = [];
    this.engine = new DocumentsEngine({ ...deps, scope: () => this.scope });
    this.panel = byId("documents-panel");
    byId("toggle-documents").addEventListener("click", () => this.toggle());
    this.panel.querySelector(".close-panel")?.addEventListener("click", () => this.toggle(false));
    byId("document-path-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = /** @type {HTMLInputElement} */ (byId("document-path"));
      if (input.value.trim()) { this.add([input.value.trim()]); input.value = ""; }
    });
    byId("document-progress-cancel").addEventListener("click", () => this.engine.interruptGenerate());
    setupDrops({ add: (paths) => this.add(paths), error: (m) => this.showError(m), choose: () => this.choose() });
    this.refresh();
  }

  /** @param {boolean} [open] */
  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    document.querySelector(".app")?.classList.toggle("with-documents", open);
    byId("toggle-documents").setAttribute("aria-expanded", String(open));
    if (open) this.refresh();
  }

  /** The engine for the next answer: documents when a summary is queued or the chat has documents in scope. */
  engineFor() {
    return this.engine.next || this.scope.length ? this.engine : null;
  }

  /** The open conversation changed: its documents are those its last document answer used. @param {number | null} id @param {{meta?: any}[]} messages */
  conversationOpened(id, messages) {
    const last = [...messages].reverse().find((m) => m.meta?.documents?.doc_ids);
    this.scope = last ? [...last.meta.documents.doc_ids] : [];
    this.conversationId = id;
    this.renderScope();
    this.renderList();
  }

  /** @param {string} message @param {boolean} [reveal] open the panel so the message is seen */
  showError(message, reveal = true) {
    const error = byId("documents-error");
    error.textContent = message;
    error.hidden = !message;
    if (message && reveal && this.panel.hidden) this.toggle(true);
  }

  async choose() {
    const paths = await choosePaths();
    if (paths === null) byId("document-path").focus(); else if (paths.length) this.add(paths);
  }

  async refresh() {
    try {
      this.documents = (await api.get("/api/documents")).documents;
      this.scope = this.scope.filter((id) => this.documents.some((d) => d.id === id));
      this.renderList();
      this.renderScope();
    } catch (error) {
      this.showError(error instanceof Error ? error.message : String(error), false);
    }
  }

  renderList() {
    byId("documents-empty").hidden = this.documents.length > 0;
    byId("document-list").replaceChildren(...this.documents.map((d) => {
      const inScope = this.scope.includes(d.id);
      const facts = [d.pages ? `${d.pages} page${d.pages === 1 ? "" : "s"}` : d.kind, `${d.chunk_count} passages`, formatBytes(d.size_bytes)];
      const box = /** @type {HTMLInputElement} */ (el("input", { type: "checkbox", "aria-label": `Ask about ${d.name} in this chat` }));
      box.checked = inScope;
      box.addEventListener("change", () => this.setInScope(d.id, box.checked));
      return el("li", { class: `document-item status-${d.status}`, "data-document": String(d.id) },
        box,
        el("div", { class: "document-info" },
          el("span", { class: "document-name", title: d.path }, d.name),
          el("span", { class: "small muted block" }, facts.join(" · ")),
          d.status === "changed" ? el("span", { class: "small warn block" }, "The file changed since it was read.") : null,
          d.status === "missing" ? el("span", { class: "small error-text block" }, "The file is gone from its folder.") : null),
        el("div", { class: "document-actions" },
          el("button", { type: "button", class: "button small", "aria-label": `Summarize ${d.name}`, onclick: () => this.summarize([d.id]) }, "Summarize"),
          d.status === "changed" ? el("button", { type: "button", class: "button ghost small", "aria-label": `Re-index ${d.name}`, onclick: () => this.reindex(d) }, "Re-index") : null,
          el("button", { type: "button", class: "button ghost small", "aria-label": `Remove ${d.name}`, onclick: () => this.remove(d) }, "Remove")));
    }));
  }

  renderScope() {
    const bar = byId("document-scope");
    const names = this.scope.map((id) => this.documents.find((d) => d.id === id)).filter((d) => d !== undefined);
    bar.hidden = names.length === 0;
    bar.replaceChildren(el("span", { class: "small muted" }, "Asking about:"),
      ...names.map((d) => el("span", { class: "scope-chip" }, d.name,
        el("button", { type: "button", class: "scope-remove", "aria-label": `Stop asking about ${d.name}`, onclick: () => this.setInScope(d.id, false) }, "×"))));
    byId("prompt").setAttribute("placeholder", names.length ? "Ask about these documents" : "Message Hearth (Enter to send, Shift+Enter for a new line)");
  }

  /** @param {number} id @param {boolean} on */
  setInScope(id, on) {
    this.scope = on ? [...new Set([...this.scope, id])] : this.scope.filter((x) => x !== id);
    this.renderScope();
    this.renderList();
  }

  /** Summarizes documents into the chat, streamed, with progress above the composer. @param {number[]} docIds */
  async summarize(docIds) {
    if (this.deps.busy()) return this.showError("Wait for the current answer to finish, or press Stop.");
    const style = /** @type {keyof typeof STYLE_LABELS} */ (/** @type {HTMLSelectElement} */ (byId("summary-style")).value);
    const names = docIds.map((id) => this.documents.find((d) => d.id === id)?.name ?? `document ${id}`);
    for (const id of docIds) this.setInScope(id, true);
    this.engine.next = { kind: "summarize", doc_ids: docIds, style };
    this.showError("");
    try {
      await this.deps.send(`Summarize ${names.join(", ")} (${STYLE_LABELS[style]})`);
    } finally {
      this.engine.next = null;
    }
    return undefined;
  }

  /** @param {LibraryDocument} d */
  async reindex(d) {
    try { this.follow(await api.post(`/api/documents/${d.id}/reindex`), false); } catch (error) { this.showError(String(error instanceof Error ? error.message : error)); }
  }

  /** @param {LibraryDocument} d */
  async remove(d) {
    if (!confirm(`Remove ${d.name} from Hearth's library? The file itself stays where it is.`)) return;
    try { await api.delete(`/api/documents/${d.id}`); } catch (error) { this.showError(String(error instanceof Error ? error.message : error)); }
    this.setInScope(d.id, false);
    await this.refresh();
  }

  /** @param {string[]} paths */
  async add(paths) {
    this.showError("");
    this.toggle(true);
    try { this.follow(await api.post("/api/documents/add", { paths }), true); } catch (error) { this.showError(String(error instanceof Error ? error.message : error)); }
  }

  /** Shows an add job: a bar, a line per file (errors in words), Cancel; then updates the library. @param {any} job @param {boolean} summarizeAfter */
  follow(job, summarizeAfter) {
    const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: "1", "aria-label": `Adding ${job.title}` }));
    const files = el("ul", { class: "job-files" });
    const cancel = el("button", { type: "button", class: "button ghost small", onclick: () => api.post(`/api/documents/jobs/${job.id}/cancel`) }, "Cancel");
    const text = el("span", { class: "small job-text" });
    const row = el("li", { class: "document-job", "data-job": job.id }, el("div", { class: "job-head" }, el("span", { class: "job-title" }, job.title), cancel), bar, text, files);
    byId("document-jobs").prepend(row);
    const update = async () => {
      try { job = await api.get(`/api/documents/jobs/${job.id}`); } catch { return; }
      const finished = job.files.filter((/** @type {any} */ f) => !["waiting", "reading"].includes(f.status)).length;
      bar.value = job.files.length ? finished / job.files.length : 0;
      text.textContent = job.state === "running" ? (job.progress?.text ?? "starting") : "";
      files.replaceChildren(...job.files.map((/** @type {any} */ f) => el("li", { class: `job-file file-${f.status}` },
        el("span", { class: "job-file-name" }, f.name), " — ",
        el("span", { class: "job-file-status" }, FILE_STATUS[/** @type {keyof typeof FILE_STATUS} */ (f.status)] ?? f.status),
        f.message ? el("span", { class: f.status === "failed" ? "block error-text small" : "block muted small" }, f.message) : null)));
      if (job.state === "running") { setTimeout(update, POLL_MS); return; }
      cancel.replaceWith(el("button", { type: "button", class: "button ghost small", "aria-label": `Dismiss ${job.title}`, onclick: () => row.remove() }, "Dismiss"));
      if (job.state === "cancelled") text.textContent = "Cancelled; the files read before stay in the library.";
      if (job.state === "failed") text.textContent = `Failed: ${job.error}`;
      await this.refresh();
      if (!job.files.some((/** @type {any} */ f) => f.status === "failed")) setTimeout(() => row.remove(), 4000);
      const fresh = job.files.filter((/** @type {any} */ f) => f.doc_id !== null).map((/** @type {any} */ f) => f.doc_id);
      for (const id of fresh) this.setInScope(id, true);
      const auto = /** @type {HTMLInputElement} */ (byId("summarize-new")).checked;
      if (summarizeAfter && auto && fresh.length && job.state === "done") await this.summarize(fresh);
    };
    update();
  }
}
