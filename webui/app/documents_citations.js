// An answer about documents: its [1], [2] markers become chips, a "Sources" row lists file, page and
// section, and clicking either opens the cited passage (GET /api/documents/chunks/ID). Passages are
// document text, as untrusted as model output: they are shown as plain text nodes (a Markdown image
// in a PDF stays the characters "![…](…)"), with the quoted sentence marked.
import { api } from "./api.js";
import { byId, el } from "./dom.js";

/** @typedef {{n: number, file: string, name?: string, page: number | null, section: string | null, quote: string, cited?: boolean, chunk_id?: number}} Citation */

const MARKER = /\[(\d+(?:\s*[,;]\s*\d+)*)\]/g;

/** "tower.pdf · page 2 · Harbour" @param {Citation} c */
export function citationLabel(c) {
  const name = c.name ?? c.file.split(/[\\/]/).pop() ?? c.file;
  return [name, c.page ? `page ${c.page}` : null, c.section].filter(Boolean).join(" · ");
}

/** @param {Citation} citation @param {string} text */
function chip(citation, text) {
  return el("button", {
    type: "button", class: "citation-chip", "data-citation": String(citation.n),
    "aria-label": `Source ${citation.n}: ${citationLabel(citation)}`, title: citationLabel(citation),
    onclick: () => { openPassage(citation); },
  }, text);
}

/** Replaces [n] markers in the rendered answer's text (not in code) with chips. @param {HTMLElement} body @param {Citation[]} citations */
export function linkMarkers(body, citations) {
  const byNumber = new Map(citations.map((c) => [c.n, c]));
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement?.closest("pre, code") && MARKER.test(node.textContent ?? "")) texts.push(/** @type {Text} */ (node));
    MARKER.lastIndex = 0;
  }
  for (const text of texts) {
    const value = text.textContent ?? "";
    /** @type {(Node | string)[]} */
    const parts = [];
    let last = 0;
    for (const match of value.matchAll(MARKER)) {
      parts.push(value.slice(last, match.index));
      const numbers = match[1].split(/\s*[,;]\s*/).map(Number);
      if (numbers.every((n) => byNumber.has(n))) {
        for (const n of numbers) parts.push(chip(/** @type {Citation} */ (byNumber.get(n)), `${n}`));
      } else {
        parts.push(match[0]);
      }
      last = /** @type {number} */ (match.index) + match[0].length;
    }
    parts.push(value.slice(last));
    text.replaceWith(...parts);
  }
}

/** The chips, the Sources row and their passages for an answer's meta.documents. @param {HTMLElement} body @param {any} documents */
export function decorateAnswer(body, documents) {
  if (documents?.kind !== "answer" || !Array.isArray(documents.citations)) return null;
  /** @type {Citation[]} */
  const citations = documents.citations;
  linkMarkers(body, citations);
  if (citations.length === 0) return null;
  const heading = documents.cited ? "Sources" : "Closest passages (the answer cites none)";
  return el("div", { class: "sources", role: "group", "aria-label": heading },
    el("span", { class: "sources-heading small muted" }, heading),
    ...citations.map((c) => chip(c, `[${c.n}] ${citationLabel(c)}`)));
}

/** The passage's text with the quote marked, as text nodes only. @param {string} text @param {string} quote */
export function markedPassage(text, quote) {
  const at = quote ? text.indexOf(quote) : -1;
  if (at < 0) return [text];
  return [text.slice(0, at), el("mark", {}, quote), text.slice(at + quote.length)];
}

/** Opens the dialog that shows the cited passage. @param {Citation} citation */
export async function openPassage(citation) {
  const dialog = /** @type {HTMLDialogElement} */ (byId("passage-dialog"));
  byId("passage-heading").textContent = `Source ${citation.n}`;
  byId("passage-where").textContent = citationLabel(citation);
  const body = byId("passage-text");
  body.replaceChildren(el("span", { class: "muted" }, "Loading the passage…"));
  if (!dialog.open) dialog.showModal();
  if (citation.chunk_id === undefined) {
    body.replaceChildren(...markedPassage(citation.quote, citation.quote));
    return;
  }
  try {
    const passage = await api.get(`/api/documents/chunks/${citation.chunk_id}`);
    byId("passage-where").textContent = citationLabel({ ...citation, name: passage.name, page: passage.page, section: passage.section });
    body.replaceChildren(...markedPassage(passage.text, citation.quote));
  } catch (error) {
    body.replaceChildren(el("p", { class: "error-text" }, error instanceof Error ? error.message : String(error)),
      el("p", {}, "Quoted when the answer was written: ", el("mark", {}, citation.quote)));
  }
}

export function setupPassageDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (byId("passage-dialog"));
  dialog.querySelector(".close-dialog")?.addEventListener("click", () => dialog.close());
}
