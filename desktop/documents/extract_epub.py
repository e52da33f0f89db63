"""EPUB: chapters in reading (spine) order; each chapter's headings nest under the chapter title."""

import logging
import warnings
from pathlib import Path

from desktop.documents.blocks import Block, Extracted, SectionTracker
from desktop.documents.errors import DocumentError
from desktop.documents.html_blocks import html_blocks

logging.getLogger("ebooklib").setLevel(logging.ERROR)


def _toc_titles(book) -> dict[str, str]:
    """Chapter file name → its table-of-contents title."""
    titles: dict[str, str] = {}

    def walk(items):
        for item in items:
            if isinstance(item, tuple):
                section, children = item
                if getattr(section, "href", None) and section.title:
                    titles.setdefault(section.href.split("#")[0], section.title)
                walk(children)
            elif getattr(item, "href", None) and getattr(item, "title", None):
                titles.setdefault(item.href.split("#")[0], item.title)

    walk(book.toc or [])
    return titles


def extract_epub(path: Path) -> Extracted:
    import ebooklib
    import lxml.html
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
            book = epub.read_epub(str(path), options={"ignore_ncx": False})
    except Exception as e:  # ebooklib raises EpubException, KeyError, BadZipFile, lxml errors
        raise DocumentError(f"{path.name} is a damaged EPUB ({e}); download or export it again.") from None
    toc = _toc_titles(book)
    blocks: list[Block] = []
    for item_id, _linear in book.spine:
        item = book.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        content = item.get_content()
        if not content.strip():
            continue
        try:
            root = lxml.html.document_fromstring(content)
        except Exception:  # one broken chapter must not lose the book
            continue
        chapter = html_blocks(root.find("body") if root.find("body") is not None else root, SectionTracker())
        if not chapter:
            continue
        title = toc.get(item.get_name())
        if title and not chapter[0].is_heading:
            chapter.insert(0, Block(title, None, (), is_heading=True))
        chapter_title = title or (chapter[0].text if chapter[0].is_heading else None)
        for block in chapter:
            section = block.section
            if chapter_title and (not section or section[0] != chapter_title):
                section = (chapter_title, *section)
            blocks.append(Block(block.text, None, section, block.is_heading))
    if not blocks:
        raise DocumentError(f"{path.name} is an EPUB with no text; there is nothing to read.")
    titles = book.get_metadata("DC", "title")
    return Extracted("epub", blocks, title=titles[0][0] if titles else None)
