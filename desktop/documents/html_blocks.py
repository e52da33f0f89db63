"""Blocks from an HTML element tree: headings open sections, block elements become paragraphs.

Shared by the HTML and EPUB extractors (EPUB chapters are XHTML).
"""

import re

from desktop.documents.blocks import Block, SectionTracker

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
PARAGRAPHS = {"p", "li", "pre", "blockquote", "dd", "dt", "figcaption", "caption", "tr", "td", "th"}
SKIPPED = {
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "svg",
    "template",
}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(element) -> str:
    parts = []
    for node in element.iter():
        if _local(node.tag) in SKIPPED:
            continue
        if node is not element and node.text and _local(node.getparent().tag) in SKIPPED:
            continue
        parts.append(node.text or "")
        if node is not element:
            parts.append(node.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _has_block_child(element) -> bool:
    return any(_local(c.tag) in PARAGRAPHS or _local(c.tag) in HEADINGS for c in element.iterdescendants())


def html_blocks(root, tracker: SectionTracker | None = None, skip_chrome: bool = True) -> list[Block]:
    """Walks `root` in document order. Text outside any block element (loose div text) is kept too."""
    tracker = tracker or SectionTracker()
    blocks: list[Block] = []

    def visit(element):
        tag = _local(element.tag)
        if not tag or (skip_chrome and tag in SKIPPED) or tag in ("script", "style", "head", "title"):
            return
        if tag in HEADINGS:
            text = _text(element)
            if text:
                blocks.append(Block(text, None, tracker.heading(HEADINGS[tag], text), is_heading=True))
            return
        if tag in PARAGRAPHS and not _has_block_child(element):
            text = _text(element)
            if text:
                blocks.append(Block(text, None, tracker.section))
            return
        loose = re.sub(r"\s+", " ", element.text or "").strip()
        if loose:
            blocks.append(Block(loose, None, tracker.section))
        for child in element:
            visit(child)
            tail = re.sub(r"\s+", " ", child.tail or "").strip()
            if tail:
                blocks.append(Block(tail, None, tracker.section))

    visit(root)
    return blocks
