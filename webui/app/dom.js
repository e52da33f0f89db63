// Small DOM helpers: elements are built from data, never from HTML strings (model output included).

/**
 * @param {string} tag
 * @param {Record<string, string | boolean | ((e: Event) => void)>} [attributes] on* keys add listeners
 * @param {(Node | string | null | undefined | false)[]} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** @template {HTMLElement} T @param {string} id @returns {T} */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page lacks #${id}; reinstall Hearth.`);
  return /** @type {T} */ (node);
}

/** Human-readable byte counts: 1.4 GB, 812 MB. @param {number | null | undefined} bytes */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Copies text and briefly relabels the button that asked for it. @param {string} text @param {HTMLElement} button */
export async function copyWithFeedback(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Copy failed";
  }
  setTimeout(() => { button.textContent = label; }, 1200);
}

/** Saves text as a download without a network request (a blob URL). @param {string} name @param {string} text */
export function saveText(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
