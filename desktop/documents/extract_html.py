"""HTML: the main content only (readability-lxml drops menus, sidebars and footers), headings as sections."""

import logging
from pathlib import Path

from desktop.documents.blocks import Extracted
from desktop.documents.errors import DocumentError
from desktop.documents.extract_text import decode_text
from desktop.documents.html_blocks import html_blocks

logging.getLogger("readability").setLevel(logging.ERROR)


def _parse(html: str):
    import lxml.html

    return lxml.html.document_fromstring(html)


def extract_html(path: Path) -> Extracted:
    from readability import Document

    html, _ = decode_text(path, path.read_bytes())
    html = html.lstrip("\ufeff")
    if html.lstrip().startswith("<?xml"):
        html = html.split("?>", 1)[1]  # lxml refuses str input that declares its encoding
    try:
        readable = Document(html)
        title = readable.short_title() or None
        main = readable.summary(html_partial=True)
        blocks = html_blocks(_parse(main))
        whole_page = html_blocks(_parse(html))
    except Exception as e:  # lxml's ParserError, readability's Unparseable
        message = f"{path.name} is HTML that Hearth cannot parse ({e}); save the page again."
        raise DocumentError(message) from None
    # Readability judges by text density; a short page (a note, an index) may lose its only text.
    if sum(len(b.text) for b in blocks) < 0.2 * sum(len(b.text) for b in whole_page):
        blocks = whole_page
    if not blocks:
        raise DocumentError(f"{path.name} is an HTML page with no text; there is nothing to read.")
    return Extracted("html", blocks, title=title)
