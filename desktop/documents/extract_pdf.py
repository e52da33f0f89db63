"""PDF: the text layer page by page (1-based pages), sections from the PDF's outline (bookmarks)."""

import logging
import re
import threading
from pathlib import Path

from desktop.documents.blocks import Block, Extracted
from desktop.documents.errors import Cancelled, DocumentError

logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repaired xref; we report per file
SENTENCE_END = re.compile(r"[.!?:;\"')\]]$")


def _open(path: Path):
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("a password is needed")
        return reader, len(reader.pages)
    except (FileNotDecryptedError, DependencyError) as e:
        raise DocumentError(
            f"{path.name} is an encrypted PDF ({e}); open it in a PDF viewer, save an unprotected copy and add that."
        ) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as e:
        message = f"{path.name} is a damaged or truncated PDF ({e}); save or download it again."
        raise DocumentError(message) from None


def _outline(reader) -> dict[int, list[tuple[int, str]]]:
    """Bookmarks by 0-based page: [(level, title)] in document order."""
    by_page: dict[int, list[tuple[int, str]]] = {}

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark must not lose the whole document
                continue
            title = " ".join(str(item.title or "").split())
            if page is not None and title:
                by_page.setdefault(page, []).append((level, title))

    try:
        walk(reader.outline, 1)
    except Exception:
        return {}
    return by_page


def _paragraphs(lines: list[str], titles: set[str]) -> list[str]:
    """Folds text-layer lines into paragraphs: a blank line or a short line ending a sentence ends one.

    A line that is a bookmark title (`titles`, normalised by _key) stands alone as a heading.
    """
    widths = sorted(len(line) for line in lines if line.strip())
    typical = widths[len(widths) * 3 // 4] if widths else 0
    out, current = [], []
    for raw in lines:
        line = raw.strip()
        if not line:
            if current:
                out.append(current)
                current = []
            continue
        if _key(line) in titles:
            out += [current, [line]] if current else [[line]]
            current = []
            continue
        current.append(line)
        if len(line) < 0.7 * typical and SENTENCE_END.search(line):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return [re.sub(r"(\w)- (\w)", r"\1\2", " ".join(p)) for p in out]


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same(a: str, b: str) -> bool:
    return _key(a) == _key(b)


def extract_pdf(path: Path, cancel: threading.Event | None = None) -> Extracted:
    reader, page_count = _open(path)
    bookmarks = _outline(reader)
    section: list[tuple[int, str]] = []
    blocks: list[Block] = []
    pages_with_text = 0
    unreadable: list[int] = []
    for index in range(page_count):
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"Reading {path.name} was cancelled at page {index + 1} of {page_count}.")
        try:
            text = reader.pages[index].extract_text() or ""
        except Exception:  # one unreadable page should not cost the other pages
            unreadable.append(index + 1)
            continue
        marks = bookmarks.get(index, [])
        paragraphs = _paragraphs(text.splitlines(), {_key(title) for _, title in marks})
        if text.strip():
            pages_with_text += 1
        # Bookmarks whose title is a line of the page open their section at that line; others at the top.
        on_a_line = [m for m in marks if any(_same(p, m[1]) for p in paragraphs)]
        for level, title in (m for m in marks if m not in on_a_line):
            section = [s for s in section if s[0] < level] + [(level, title)]
        for paragraph in paragraphs:
            match = next((m for m in on_a_line if _same(paragraph, m[1])), None)
            if match:
                on_a_line.remove(match)
                section = [s for s in section if s[0] < match[0]] + [match]
            blocks.append(Block(paragraph, index + 1, tuple(t for _, t in section), is_heading=bool(match)))
    if page_count and not pages_with_text:
        raise DocumentError(f"{path.name}: this PDF has no text layer (a scan?); Hearth does not do OCR.")
    notes = []
    if unreadable:
        listed = ", ".join(map(str, unreadable[:10])) + (" ..." if len(unreadable) > 10 else "")
        notes.append(f"{path.name}: pages {listed} could not be read and were left out (a damaged PDF?).")
    title = None
    try:
        title = (reader.metadata or {}).get("/Title") or None
    except Exception:
        pass
    return Extracted("pdf", blocks, title=str(title) if title else None, pages=page_count, notes=notes)
