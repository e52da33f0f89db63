"""What a file really is, read from its bytes; the extension only breaks ties between text formats.

Users rename files and browsers save HTML error pages as "report.pdf", so the content decides.
"""

import re
import zipfile
from pathlib import Path

from desktop.documents.errors import DocumentError

KINDS = ("pdf", "docx", "epub", "html", "markdown", "text")
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SNIFF_BYTES = 64 * 1024

# Binary formats people drop by mistake, with what to say about each.
KNOWN_BINARY = (
    (b"\x89PNG", "a PNG image; Hearth does not do OCR"),
    (b"\xff\xd8\xff", "a JPEG image; Hearth does not do OCR"),
    (b"GIF8", "a GIF image; Hearth does not do OCR"),
    (b"II*\x00", "a TIFF image; Hearth does not do OCR"),
    (b"MM\x00*", "a TIFF image; Hearth does not do OCR"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc/.xls); save it as .docx or PDF and add that"),
    (b"{\\rtf", "an RTF file; save it as .docx or PDF and add that"),
    (b"\x1f\x8b", "a gzip archive; unpack it and add the files inside"),
    (b"7z\xbc\xaf", "a 7-Zip archive; unpack it and add the files inside"),
    (b"Rar!", "a RAR archive; unpack it and add the files inside"),
)
HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
HTML_ANYWHERE = re.compile(rb"<(html|body)\b[^>]*>", re.I)
MARKDOWN_HINT = re.compile(r"^(#{1,6} \S|```|\s*[-*] \S.*\n\s*[-*] \S|\S.*\n(=+|-+)\s*$)", re.M)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() == b"application/epub+zip":
                return "epub"
            if "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, KeyError) as e:
        raise DocumentError(f"{path.name} is a damaged or truncated zip file ({e}); save it again.") from None
    raise DocumentError(
        f"{path.name} is a zip archive, not a Word or EPUB document; unpack it and add the files inside."
    )


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NUL bytes but is text
    sample = head[:8192]
    return b"\x00" in sample


def detect_kind(path: Path) -> str:
    """One of KINDS, or a DocumentError that says what the file is instead."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError as e:
        message = f"Hearth cannot open {path} ({e.strerror}); check the path and its permissions."
        raise DocumentError(message) from None
    if size == 0 or not head.strip():
        raise DocumentError(f"{path.name} is empty; there is nothing to read.")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    for magic, what in KNOWN_BINARY:
        if head.startswith(magic):
            raise DocumentError(f"{path.name} is {what}.")
    if _looks_binary(head):
        raise DocumentError(f"{path.name} is not a document Hearth reads (PDF, Word, EPUB, HTML, Markdown or text).")
    suffix = path.suffix.lower()
    prose = MARKDOWN_SUFFIXES | {".txt"}  # prose may quote a tag; only a document that starts as HTML is HTML
    if HTML_START.match(head) or (suffix not in prose and HTML_ANYWHERE.search(head[:4096])):
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in HTML_SUFFIXES:
        return "html"
    if MARKDOWN_HINT.search(head[:SNIFF_BYTES].decode("utf-8", "replace")):
        return "markdown"
    return "text"


def extension_kind(path: Path) -> str | None:
    """What the name claims, so a mismatch can be reported to the user."""
    suffix = Path(path).suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return {".pdf": "pdf", ".docx": "docx", ".epub": "epub", ".txt": "text"}.get(suffix)
