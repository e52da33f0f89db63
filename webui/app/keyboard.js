// Keyboard: Enter sends, Shift+Enter is a new line, Esc stops a running answer, Ctrl/Cmd+K searches,
// Ctrl/Cmd+Shift+O starts a new chat.
import { byId } from "./dom.js";

/** @param {{send: () => void, stop: () => void, busy: () => boolean, newChat: () => void}} actions */
export function setupKeyboard(actions) {
  const prompt = /** @type {HTMLTextAreaElement} */ (byId("prompt"));
  prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (!actions.busy()) actions.send();
    }
  });
  prompt.addEventListener("input", () => autoGrow(prompt));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && actions.busy() && !document.querySelector("dialog[open]")) {
      e.preventDefault();
      actions.stop();
    }
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "k") { e.preventDefault(); byId("conversation-search").focus(); }
    if (mod && e.shiftKey && e.key.toLowerCase() === "o") { e.preventDefault(); actions.newChat(); }
  });
}

/** The message box grows with its text up to a third of the window (CSS caps it). @param {HTMLTextAreaElement} box */
export function autoGrow(box) {
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight}px`;
}
