"""Dropped file → Extracted: detects the real type and runs its extractor."""

import threading
from pathlib import Path

from desktop.documents.blocks import Extracted
from desktop.documents.detect import detect_kind, extension_kind
from desktop.documents.errors import Cancelled, DocumentError

KIND_NAMES = {
    "pdf": "a PDF",
    "docx": "a Word document",
    "epub": "an EPUB",
    "html": "an HTML page",
    "markdown": "Markdown",
    "text": "plain text",
}


def _extractor(kind: str):
    if kind == "pdf":
        from desktop.documents.extract_pdf import extract_pdf as run
    elif kind == "docx":
        from desktop.documents.extract_docx import extract_docx as run
    elif kind == "epub":
        from desktop.documents.extract_epub import extract_epub as run
    elif kind == "html":
        from desktop.documents.extract_html import extract_html as run
    elif kind == "markdown":
        from desktop.documents.extract_markdown import extract_markdown as run
    else:
        from desktop.documents.extract_text import extract_text as run
    return run


def extract(path: Path, cancel: threading.Event | None = None) -> Extracted:
    """`cancel` is checked between pages of long documents (PDF), raising Cancelled."""
    path = Path(path)
    if not path.is_file():
        raise DocumentError(f"There is no file at {path}; check the path and try again.")
    kind = detect_kind(path)
    try:
        extracted = _extractor(kind)(path, cancel) if kind == "pdf" else _extractor(kind)(path)
    except (DocumentError, Cancelled):
        raise
    except MemoryError:
        raise DocumentError(f"{path.name} is too large to read in the memory available.") from None
    except Exception as e:  # an extractor library failing on odd input is a bad file, not a crash
        what = f"{type(e).__name__}: {e}"
        raise DocumentError(f"{path.name} could not be read as {KIND_NAMES[kind]} ({what}).") from e
    claimed = extension_kind(path)
    if claimed and claimed != kind and {claimed, kind} != {"text", "markdown"}:
        extracted.notes.insert(
            0,
            f"{path.name} is really {KIND_NAMES[kind]}, not {KIND_NAMES[claimed]}; it was read as {KIND_NAMES[kind]}.",
        )
    return extracted
