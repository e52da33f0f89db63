"""Plain text in any encoding: UTF-8 (with or without BOM) first, then charset detection."""

from pathlib import Path

from desktop.documents.blocks import Block, Extracted, paragraphs
from desktop.documents.errors import DocumentError

WESTERN_MARGIN = 0.1


def decode_text(path: Path, data: bytes) -> tuple[str, str]:
    """(text, encoding). Strict UTF-8 wins because detectors misjudge short UTF-8 texts."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        message = f"{path.name} is not text in any encoding Hearth knows; save it as UTF-8 and re-add it."
        raise DocumentError(message)
    best = min(matches, key=lambda m: m.chaos)
    # On short Western texts the detector's top pick is often a Baltic or Central European code page
    # that turns "è" into "č"; Windows-1252 is far more common, so it wins when nearly as clean.
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if western is not None and western.chaos <= best.chaos + WESTERN_MARGIN:
        best = western
    return str(best), best.encoding


def extract_text(path: Path) -> Extracted:
    text, encoding = decode_text(path, path.read_bytes())
    blocks = [Block(p) for p in paragraphs(text)]
    if not blocks:
        raise DocumentError(f"{path.name} holds only white space; there is nothing to read.")
    notes = [] if encoding in ("utf-8", "ascii") else [f"{path.name} was read as {encoding}."]
    return Extracted("text", blocks, notes=notes)
