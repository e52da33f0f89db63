// Model output → inert HTML: marked parses, highlight.js colours code, DOMPurify sanitises, and a
// hook strips every URL that would leave the machine (remote images load nothing, remote links
// navigate nowhere). The CSP (img-src 'self' data:) is the second wall behind this one.
import { Marked } from "/vendor/marked/lib/marked.esm.js";
import DOMPurify from "/vendor/dompurify/dist/purify.es.mjs";
import { el, copyWithFeedback } from "./dom.js";
import { highlightCode } from "./highlight.js";

const URL_ATTRIBUTES = ["href", "src", "srcset", "xlink:href", "action", "formaction", "poster", "background", "cite"];
const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpe?g|webp);base64,/i;

/** True when a URL stays on the page: fragments only, or inline images. @param {string} url @param {string} attribute */
export function isInertUrl(url, attribute) {
  const value = url.trim();
  if (attribute === "href") return value.startsWith("#");
  if (attribute === "src") return SAFE_DATA_IMAGE.test(value);
  return false;
}

const purifier = DOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
  for (const attribute of URL_ATTRIBUTES) {
    const value = node.getAttribute(attribute);
    if (value === null || isInertUrl(value, attribute)) continue;
    node.removeAttribute(attribute);
    if (node.tagName === "A") {
      node.setAttribute("title", `Link not opened: ${value}`);
      node.classList.add("inert-link");
    }
    if (node.tagName === "IMG") {
      node.setAttribute("alt", `${node.getAttribute("alt") || "image"} (remote image not loaded)`);
      node.classList.add("inert-image");
    }
  }
});

const PURIFY_OPTIONS = {
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "video", "audio", "source", "link", "meta", "base", "svg", "math"],
  FORBID_ATTR: ["style", "srcset"],
};

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const language = (lang || "").split(/\s/)[0];
      const { html, label } = highlightCode(text, language);
      return `<pre data-language="${label}"><code class="hljs">${html}</code></pre>\n`;
    },
  },
});

/** Sanitised HTML for Markdown text (safe to assign to innerHTML). @param {string} markdown */
export function markdownToSafeHtml(markdown) {
  const html = /** @type {string} */ (marked.parse(markdown, { async: false }));
  return /** @type {string} */ (purifier.sanitize(html, PURIFY_OPTIONS));
}

/** Renders Markdown into `target` and gives each code block a copy button. @param {HTMLElement} target @param {string} markdown */
export function renderMarkdown(target, markdown) {
  target.innerHTML = markdownToSafeHtml(markdown);
  for (const pre of target.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const language = pre.getAttribute("data-language") || "";
    const copy = el("button", { type: "button", class: "code-copy", "aria-label": "Copy code" }, "Copy");
    copy.addEventListener("click", () => copyWithFeedback(code?.textContent ?? "", copy));
    const bar = el("div", { class: "code-bar" }, el("span", { class: "code-language" }, language), copy);
    pre.before(el("div", { class: "code-block" }, bar));
    /** @type {HTMLElement} */ (bar.parentElement).append(pre);
  }
}
