// Boots the window: reads the server's status, picks the engine, loads the model with a progress
// bar, and wires the chat, the conversation list, the model manager, settings and the keyboard.
import { api } from "./api.js";
import { ChatController } from "./chat_controller.js";
import { ConversationList } from "./conversation_list.js";
import { byId, el, formatBytes } from "./dom.js";
import { setupPassageDialog } from "./documents_citations.js";
import { DocumentsPanel } from "./documents_panel.js";
import { chooseEngine, loadEngine } from "./engine_choice.js";
import { setupKeyboard, autoGrow } from "./keyboard.js";
import { ModelManager } from "./model_manager.js";
import { loadSettings, setupSettingsDialog } from "./settings.js";
import { showAdapter, showEngine, showModel } from "./status_bar.js";

/** @typedef {import("./engine_choice.js").ChatEngine} ChatEngine */

const MODEL_KEY = "hearth.model";
const SETUP_POLL_MS = 400;
let settings = loadSettings();
let modelId = "";
/** @type {Promise<ChatEngine> | null} */
let enginePromise = null;
/** @type {import("./engine_choice.js").EngineChoice | null} */
let choice = null;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {{progress: number, text: string} | null} p */
function showLoad(p) {
  byId("load-progress").hidden = p === null || p.progress >= 1;
  if (!p) return;
  /** @type {HTMLProgressElement} */ (byId("load-progress-bar")).value = p.progress;
  byId("load-progress-text").textContent = p.text;
}

/** Loads the current model on the chosen engine; generation awaits this promise. */
function startEngine() {
  const previous = enginePromise;
  enginePromise = (async () => {
    const old = await previous?.catch(() => null);
    old?.unload?.();
    choice = await chooseEngine(settings.engine);
    showEngine(choice);
    if (choice.kind === "native") showAdapter(nativeAdapter);
    showLoad({ progress: 0, text: `Loading ${modelId}…` });
    try {
      const engine = await loadEngine(choice, modelId, { contextSize: settings.context_size, onProgress: showLoad });
      if (choice.kind === "native" && !nativeAdapter) {  // the server's GPU probe was still running at boot
        nativeAdapter = (await api.get("/api/status").catch(() => null))?.native?.adapter?.name ?? "";
        showAdapter(nativeAdapter);
      }
      return engine;
    } catch (error) {
      showLoad({ progress: 0, text: `Could not load ${modelId}: ${error instanceof Error ? error.message : error}` });
      throw error;
    } finally {
      if (/** @type {HTMLProgressElement} */ (byId("load-progress-bar")).value >= 1) showLoad(null);
    }
  })();
  enginePromise.then(() => showLoad(null), () => {});
}

let nativeAdapter = "";

/** Waits while the built-in model is imported on first run, showing the job's progress. */
async function waitForSetup() {
  for (;;) {
    const status = await api.get("/api/status");
    nativeAdapter = status.native?.adapter?.name ?? "";
    document.body.classList.toggle("first-run", Boolean(status.first_run));
    if (status.setup?.state !== "importing") return status;
    const job = status.setup.job ? await api.get(`/api/jobs/${status.setup.job}`).catch(() => null) : null;
    showLoad({
      progress: job?.bytes_total ? job.bytes_done / job.bytes_total : 0,
      text: `Setting up the built-in model${job?.bytes_total ? `: ${formatBytes(job.bytes_done)} of ${formatBytes(job.bytes_total)}` : "…"}`,
    });
    await sleep(SETUP_POLL_MS);
  }
}

/** @param {import("./model_manager.js").InstalledModel[]} models */
function fillModelSelect(models) {
  const select = /** @type {HTMLSelectElement} */ (byId("model-select"));
  select.replaceChildren(...models.map((m) => el("option", { value: m.id }, m.name || m.id)));
  select.value = modelId;
}

/** @param {string} id */
function switchModel(id) {
  if (id === modelId) return;
  modelId = id;
  localStorage.setItem(MODEL_KEY, id);
  /** @type {HTMLSelectElement} */ (byId("model-select")).value = id;
  showModel(id);
  startEngine();
}

async function boot() {
  const status = await waitForSetup();
  if (status.setup?.state === "failed") showLoad({ progress: 0, text: `Setup failed: ${status.setup.error}` });
  const { models, default: fallback } = await api.get(`/api/models?context=${settings.context_size}`);
  const remembered = localStorage.getItem(MODEL_KEY);
  modelId = models.some((/** @type {{id: string}} */ m) => m.id === remembered) ? /** @type {string} */ (remembered) : fallback;
  fillModelSelect(models);
  showModel(models.find((/** @type {{id: string}} */ m) => m.id === modelId)?.name ?? modelId);
  startEngine();

  // Documents in scope (or a queued summary) send the next message to the documents engine instead.
  const chat = new ChatController({
    engine: () => {
      const documentsEngine = docs.engineFor();
      return documentsEngine ? Promise.resolve(/** @type {ChatEngine} */ (documentsEngine)) : /** @type {Promise<ChatEngine>} */ (enginePromise);
    },
    settings: () => settings,
    modelId: () => modelId,
    onConversationsChanged: () => list.refresh(),
  });
  const docs = new DocumentsPanel({
    send: (text) => chat.send(text), busy: () => chat.busy, conversationId: () => chat.conversation?.id ?? null,
    settings: () => settings, modelId: () => modelId,
  });
  setupPassageDialog();
  const openConversation = async (/** @type {number | null} */ id) => { await chat.open(id); docs.conversationOpened(id, chat.messages); };
  const list = new ConversationList({
    open: async (id) => { await openConversation(id); await list.refresh(); byId("prompt").focus(); },
    activeId: () => chat.conversation?.id ?? null,
  });
  new ModelManager({ current: () => modelId, switchTo: switchModel, contextSize: () => settings.context_size, modelsChanged: fillModelSelect });
  setupSettingsDialog((after, before) => {
    settings = after;
    if (after.engine !== before.engine || after.context_size !== before.context_size) startEngine();
  });

  const prompt = /** @type {HTMLTextAreaElement} */ (byId("prompt"));
  const send = () => {
    const text = prompt.value;
    if (!text.trim() || chat.busy) return;
    prompt.value = "";
    autoGrow(prompt);
    chat.send(text).catch((error) => alert(error instanceof Error ? error.message : String(error)));
  };
  byId("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  byId("stop").addEventListener("click", () => chat.stop());
  byId("model-select").addEventListener("change", (e) => switchModel(/** @type {HTMLSelectElement} */ (e.target).value));
  const panel = byId("system-prompt-panel");
  const toggle = byId("toggle-system-prompt");
  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) byId("system-prompt").focus();
  });
  byId("system-prompt").addEventListener("change", (e) => chat.saveSystemPrompt(/** @type {HTMLTextAreaElement} */ (e.target).value));
  setupKeyboard({ send, stop: () => chat.stop(), busy: () => chat.busy, newChat: () => openConversation(null).then(() => list.refresh()) });

  await chat.open(null);
  await list.refresh();
  document.body.classList.add("ready");
  prompt.focus();
}

boot().catch((error) => {
  showLoad({ progress: 0, text: `Hearth could not start: ${error instanceof Error ? error.message : error}` });
  console.error(error);
});
