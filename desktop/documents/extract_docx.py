"""Word .docx: paragraphs in order; Heading N / Title styles open sections; table rows become paragraphs."""

from pathlib import Path

from desktop.documents.blocks import Block, Extracted, SectionTracker
from desktop.documents.errors import DocumentError


def _heading_level(style_name: str) -> int | None:
    name = (style_name or "").strip().lower()
    if name == "title":
        return 0  # above Heading 1, so Heading 1 sections nest under the title
    if name.startswith("heading"):
        digits = name[len("heading") :].strip()
        return int(digits) if digits.isdigit() else 1
    return None


def _body_items(document):
    """Paragraphs and tables in document order (python-docx lists them separately)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            yield Table(child, document)


def extract_docx(path: Path) -> Extracted:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors, BadZipFile...
        raise DocumentError(f"{path.name} is a damaged Word document ({e}); save it again in Word.") from None
    tracker = SectionTracker()
    blocks: list[Block] = []
    for item in _body_items(document):
        if hasattr(item, "rows"):
            for row in item.rows:
                cells = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                        cells.append(text)
                if cells:
                    blocks.append(Block(" | ".join(cells), None, tracker.section))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        level = _heading_level(item.style.name if item.style is not None else "")
        if level is not None:
            blocks.append(Block(text, None, tracker.heading(level, text), is_heading=True))
        else:
            blocks.append(Block(text, None, tracker.section))
    if not blocks:
        raise DocumentError(f"{path.name} is a Word document with no text; there is nothing to read.")
    title = (document.core_properties.title or "").strip() or None
    return Extracted("docx", blocks, title=title)
