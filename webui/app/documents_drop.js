// Getting document paths from the user: files or folders dropped anywhere on the window, the native
// file dialog, or a typed path. The webview hides dropped files' locations from the page; inside
// Hearth's window Python knows them (pywebview's `pywebviewFullPath`, or /api/app/dropped-paths by
// name, desktop/server/app_api.py). In a plain browser there is no such bridge: type the path.
import { api } from "./api.js";
import { byId } from "./dom.js";

export const NO_PATHS = "This window cannot see where dropped files live; type the file's full path below.";

/** Full paths of dropped files, from the File objects or from the window's bridge. @param {DataTransfer | null} data */
export async function droppedPaths(data) {
  const files = [...(data?.files ?? [])];
  /** @type {string[]} */
  const direct = files.map((f) => /** @type {any} */ (f).pywebviewFullPath).filter(Boolean);
  if (direct.length) return direct;
  if (!files.length) return [];
  try {
    const { paths } = await api.post("/api/app/dropped-paths", { names: files.map((f) => f.name) });
    return /** @type {string[]} */ (paths);
  } catch {
    return [];
  }
}

/** Paths chosen in the native file dialog; null when there is no window (a plain browser). */
export async function choosePaths() {
  for (const kind of ["documents", "file"]) {
    try {
      const { paths } = await api.post("/api/app/open-dialog", { kind });
      return /** @type {string[]} */ (paths);
    } catch (error) {
      if (/** @type {any} */ (error)?.status !== 400) return null; // 404: no window bridge here
    }
  }
  return null;
}

/** True when a drag carries files (not text or a link from the page itself). @param {DragEvent} e */
function carriesFiles(e) {
  return [...(e.dataTransfer?.types ?? [])].includes("Files");
}

/**
 * Window-wide drop target (outside open dialogs) and the panel's drop zone.
 * @param {{add: (paths: string[]) => void, error: (message: string) => void, choose: () => void}} actions
 */
export function setupDrops(actions) {
  const overlay = byId("drop-overlay");
  let depth = 0;
  const dialogOpen = () => document.querySelector("dialog[open]") !== null;
  window.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e) || dialogOpen()) return;
    depth++;
    overlay.hidden = false;
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  window.addEventListener("dragover", (e) => { if (carriesFiles(e) && !dialogOpen()) e.preventDefault(); });
  window.addEventListener("drop", async (e) => {
    if (dialogOpen() || !carriesFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    const paths = await droppedPaths(e.dataTransfer);
    if (paths.length) actions.add(paths); else actions.error(NO_PATHS);
  });
  const zone = byId("document-drop");
  zone.addEventListener("click", actions.choose);
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); actions.choose(); } });
}
