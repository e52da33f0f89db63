// The Models dialog: installed models (size, quantization, GPU-memory estimate, license) to switch
// or delete; import by path, drop or file dialog; the catalog and any repo id to download, with
// progress bars, cancel and resume (docs/api.md: models, catalog, jobs).
import { api } from "./api.js";
import { droppedPaths } from "./documents_drop.js";
import { byId, el, formatBytes } from "./dom.js";

/** @typedef {{id: string, name: string, architecture: string, quantization: string, size_bytes: number, license: string | null,
 *   context_length: number | null, memory?: {context: number, total_bytes: number}}} InstalledModel */
/** @typedef {{id: string, kind: string, title: string, state: string, phase: string, bytes_done: number,
 *   bytes_total: number | null, bytes_per_second: number | null, error: string | null, model_id: string | null}} Job */

const POLL_MS = 300;

export class ModelManager {
  /** @param {{current: () => string, switchTo: (id: string) => void, contextSize: () => number, modelsChanged: (models: InstalledModel[]) => void}} deps */
  constructor(deps) {
    this.deps = deps;
    this.dialog = /** @type {HTMLDialogElement} */ (byId("models-dialog"));
    /** @type {Map<string, HTMLElement>} */
    this.jobRows = new Map();
    /** @type {InstalledModel[]} */
    this.models = [];
    byId("open-models").addEventListener("click", () => { this.dialog.showModal(); this.refresh(); });
    this.dialog.querySelector(".close-dialog")?.addEventListener("click", () => this.dialog.close());
    byId("import-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = /** @type {HTMLInputElement} */ (byId("import-path"));
      if (input.value.trim()) this.importPath(input.value.trim()).then(() => { input.value = ""; });
    });
    byId("download-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = /** @type {HTMLInputElement} */ (byId("download-repo"));
      if (input.value.trim()) this.pull({ repo_id: input.value.trim() }).then(() => { input.value = ""; });
    });
    this.setupDrop();
  }

  setupDrop() {
    const zone = byId("drop-zone");
    const choose = async () => {
      /** @type {string[]} */
      let paths;
      try {
        paths = (await api.post("/api/app/open-dialog", { kind: "file" })).paths;
      } catch {
        byId("import-path").focus(); // no window bridge (a plain browser): type the path
        return;
      }
      for (const path of paths) await this.importPath(path);
    };
    zone.addEventListener("click", choose);
    zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); } });
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", async (e) => {
      e.preventDefault();
      zone.classList.remove("dragging");
      const paths = await droppedPaths(e.dataTransfer);
      if (paths.length === 0) return this.showError("This window cannot see where dropped files live; type the path or use the file dialog.");
      for (const path of paths) await this.importPath(path);
      return undefined;
    });
  }

  /** @param {string} message */
  showError(message) {
    const error = byId("models-error");
    error.textContent = message;
    error.hidden = !message;
  }

  async refresh() {
    this.showError("");
    try {
      const [installed, catalog, jobs] = await Promise.all([
        api.get(`/api/models?context=${this.deps.contextSize()}`), api.get("/api/catalog"), api.get("/api/jobs")]);
      this.models = installed.models;
      this.renderInstalled();
      this.renderCatalog(catalog.models);
      for (const job of jobs.jobs) if (job.state === "running" && job.kind !== "load") this.follow(job); // loads show above the chat
    } catch (error) {
      this.showError(error instanceof Error ? error.message : String(error));
    }
  }

  renderInstalled() {
    const current = this.deps.current();
    byId("installed-models").replaceChildren(...this.models.map((m) => el("tr", { class: m.id === current ? "current" : "" },
      el("th", { scope: "row" }, el("span", { class: "model-name" }, m.name || m.id), el("span", { class: "muted small block" }, `${m.id} · ${m.architecture}`)),
      el("td", {}, formatBytes(m.size_bytes)),
      el("td", {}, m.quantization || "—"),
      el("td", { title: m.memory ? `weights + KV cache at ${m.memory.context} tokens` : "" }, m.memory ? formatBytes(m.memory.total_bytes) : "—"),
      el("td", {}, m.license || "unknown"),
      el("td", { class: "row-actions" },
        m.id === current ? el("span", { class: "badge" }, "In use")
          : el("button", { type: "button", class: "button small", "aria-label": `Use ${m.name || m.id}`, onclick: () => { this.deps.switchTo(m.id); this.renderInstalled(); } }, "Use"),
        el("button", { type: "button", class: "button ghost small", "aria-label": `Delete ${m.name || m.id}`, disabled: m.id === current, onclick: () => this.remove(m) }, "Delete")))));
    this.deps.modelsChanged(this.models);
  }

  /** @param {any[]} entries */
  renderCatalog(entries) {
    byId("catalog").replaceChildren(...entries.map((entry) => el("li", { class: "catalog-entry" },
      el("div", {},
        el("span", { class: "model-name" }, entry.name),
        el("span", { class: "muted small block" }, [entry.parameters, formatBytes(entry.approx_size_bytes), entry.license].filter(Boolean).join(" · ")),
        entry.description ? el("span", { class: "small block" }, entry.description) : null),
      entry.installed ? el("span", { class: "badge" }, "Installed")
        : el("button", { type: "button", class: "button small", "aria-label": `Download ${entry.name}`,
          onclick: () => this.pull({ repo_id: entry.repo_id, file: entry.file }) }, "Download"))));
  }

  /** @param {string} path */
  async importPath(path) {
    this.showError("");
    try { this.follow(await api.post("/api/models/import", { path })); } catch (error) { this.showError(error instanceof Error ? error.message : String(error)); }
  }

  /** @param {{repo_id: string, file?: string | null}} what */
  async pull(what) {
    this.showError("");
    try { this.follow(await api.post("/api/models/pull", what), what); } catch (error) { this.showError(error instanceof Error ? error.message : String(error)); }
  }

  /** @param {InstalledModel} model */
  async remove(model) {
    if (!confirm(`Delete ${model.name || model.id} (${formatBytes(model.size_bytes)}) from this computer?`)) return;
    try { await api.delete(`/api/models/${encodeURIComponent(model.id)}`); } catch (error) { this.showError(error instanceof Error ? error.message : String(error)); }
    await this.refresh();
  }

  /** Shows a job's progress bar and polls it until it ends. @param {Job} job @param {{repo_id: string, file?: string | null}} [resume] */
  follow(job, resume) {
    const bar = /** @type {HTMLProgressElement} */ (el("progress", { max: "1", "aria-label": `Progress of ${job.title}` }));
    const text = el("span", { class: "small job-text" });
    const cancel = el("button", { type: "button", class: "button ghost small", onclick: () => api.post(`/api/jobs/${job.id}/cancel`) }, "Cancel");
    const row = el("li", { class: "job", "data-job": job.id }, el("span", { class: "job-title" }, job.title), bar, text, cancel);
    this.jobRows.get(job.id)?.remove();
    this.jobRows.set(job.id, row);
    byId("jobs").prepend(row);
    const update = async () => {
      let current;
      try { current = /** @type {Job} */ (await api.get(`/api/jobs/${job.id}`)); } catch { return; }
      const known = current.bytes_total ? current.bytes_done / current.bytes_total : null;
      if (known === null) bar.removeAttribute("value"); else bar.value = known;
      const speed = current.bytes_per_second ? `, ${formatBytes(current.bytes_per_second)}/s` : "";
      text.textContent = `${current.phase === "import" ? "Importing" : "Downloading"} ${formatBytes(current.bytes_done)}${current.bytes_total ? ` of ${formatBytes(current.bytes_total)}` : ""}${speed}`;
      if (current.state === "running") { setTimeout(update, POLL_MS); return; }
      cancel.remove();
      if (current.state === "done") { text.textContent = `Ready: ${current.model_id}`; bar.value = 1; this.refresh(); }
      else {
        text.textContent = current.state === "cancelled" ? "Cancelled." : `Failed: ${current.error}`;
        if (resume) row.append(el("button", { type: "button", class: "button small", onclick: () => this.pull(resume) }, "Resume"));
      }
    };
    update();
  }
}
