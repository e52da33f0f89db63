// Summaries and answers about documents behind the chat's engine interface (chat.completions.create
// → chat.completion.chunk objects), so the chat view streams, stops and saves them like any answer.
// The server runs them as jobs (docs/api.md, Documents): this polls the job, turns its growing text
// into deltas, shows its progress ("section 4 of 19") above the composer, and cancels it on Stop.
// The last chunk carries `hearth.documents` (citations, documents, style) for the message's meta.
import { api } from "./api.js";
import { byId } from "./dom.js";

/** @typedef {import("./engine_choice.js").ChatRequest} ChatRequest */
/** @typedef {{kind: "summarize", doc_ids: number[], style: string} | {kind: "ask", doc_ids: number[]}} DocumentTask */
/** @typedef {{stage: string, step: number, total: number, text: string}} JobProgress */
/** @typedef {{id: string, state: string, progress: JobProgress | null, text: string, result: any, error: string | null}} DocumentJob */

export const POLL_MS = 250;
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The progress bar's value for a job's progress: null while the length is unknown. @param {JobProgress | null} p */
export function progressValue(p) {
  if (!p || !p.total) return null;
  if (p.stage === "final") return 1;
  if (p.stage === "map") return (p.step - 1) / p.total;
  return p.stage === "reduce" ? 0.9 : null;
}

/** @param {JobProgress | null} progress */
export function showDocumentProgress(progress) {
  const box = byId("document-progress");
  box.hidden = progress === null;
  if (!progress) return;
  const bar = /** @type {HTMLProgressElement} */ (byId("document-progress-bar"));
  const value = progressValue(progress);
  if (value === null) bar.removeAttribute("value"); else bar.value = value;
  byId("document-progress-text").textContent = progress.text ? progress.text[0].toUpperCase() + progress.text.slice(1) : "Working…";
}

export class DocumentsEngine {
  /**
   * @param {{conversationId: () => number | null, scope: () => number[],
   *   settings: () => import("./settings.js").Settings, modelId: () => string}} deps
   */
  constructor(deps) {
    this.deps = deps;
    /** @type {DocumentTask | null} the task the next create() runs (set just before the chat sends) */
    this.next = null;
    /** @type {Map<string, DocumentTask>} summary requests by their message text, so Regenerate redoes them */
    this.summaries = new Map();
    /** @type {string | null} */
    this.jobId = null;
    this.cancelled = false;
    this.chat = { completions: { create: (/** @type {ChatRequest} */ request) => this.create(request) } };
  }

  /** @param {ChatRequest} request */
  task(request) {
    const last = request.messages[request.messages.length - 1]?.content ?? "";
    const task = this.next ?? this.summaries.get(last) ?? { kind: "ask", doc_ids: this.deps.scope() };
    this.next = null;
    if (task.kind === "summarize") this.summaries.set(last, task);
    return { task, question: last };
  }

  /** @param {ChatRequest} request */
  async create(request) {
    const { task, question } = this.task(request);
    const settings = this.deps.settings();
    const common = { doc_ids: task.doc_ids, model: this.deps.modelId(), context_size: settings.context_size };
    this.cancelled = false;
    showDocumentProgress({ stage: "start", step: 0, total: 0, text: task.kind === "summarize" ? "starting the summary" : "searching the documents" });
    let job;
    try {
      job = task.kind === "summarize"
        ? await api.post("/api/documents/summarize", { ...common, style: task.style, max_tokens: Math.min(settings.max_tokens, 1024) })
        : await api.post("/api/documents/ask", { ...common, question, conversation_id: this.deps.conversationId(), max_tokens: settings.max_tokens });
    } catch (error) {
      showDocumentProgress(null);
      throw error;
    }
    this.jobId = job.id;
    if (this.cancelled) this.interruptGenerate();
    return this.follow(/** @type {DocumentJob} */ (job), task);
  }

  /** @param {DocumentJob} job @param {DocumentTask} task */
  async *follow(job, task) {
    const chunk = (/** @type {object} */ delta, /** @type {string | null} */ finish, extra = {}) =>
      ({ object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
    let shown = 0;
    try {
      for (;;) {
        showDocumentProgress(job.progress ?? { stage: "start", step: 0, total: 0, text: "waiting" });
        if (job.text.length > shown) {
          yield chunk({ content: job.text.slice(shown) }, null);
          shown = job.text.length;
        }
        if (job.state !== "running") break;
        await sleep(POLL_MS);
        job = await api.get(`/api/documents/jobs/${job.id}`);
      }
    } finally {
      showDocumentProgress(null);
      this.jobId = null;
    }
    if (job.state === "failed") throw new Error(job.error ?? "The document job failed; try again.");
    if (job.state === "cancelled") {
      yield chunk({}, "abort");
      return;
    }
    const documents = task.kind === "summarize"
      ? { kind: "summary", doc_ids: task.doc_ids, style: job.result.style, method: job.result.method, sections: job.result.sections }
      : { kind: "answer", doc_ids: task.doc_ids, citations: job.result.citations, cited: job.result.cited, mode: job.result.mode };
    yield chunk({}, "stop", { hearth: { documents } });
  }

  /** Stop: the server cancels the job between model calls and streamed pieces. */
  interruptGenerate() {
    this.cancelled = true;
    if (this.jobId) api.post(`/api/documents/jobs/${this.jobId}/cancel`).catch(() => {});
  }

  resetChat() {}
  unload() {}
}
