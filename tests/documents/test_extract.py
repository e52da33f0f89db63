"""Each format's extractor on real files, and each kind of bad input giving one clear message."""

import zipfile

import pytest

from desktop.documents.detect import detect_kind
from desktop.documents.errors import DocumentError
from desktop.documents.extract import extract
from tests.documents.make_docs import FACTS, LATIN1_TEXT


def test_pdf_text_lands_on_its_page_under_its_bookmark(docs_dir):
    extracted = extract(docs_dir / "facts.pdf")
    assert (extracted.kind, extracted.pages) == ("pdf", 20)
    for page, heading, fact, _ in FACTS:
        holders = [b for b in extracted.blocks if fact in b.text]
        assert [b.page for b in holders] == [page], fact
        assert holders[0].section == (heading,)
    headings = [b for b in extracted.blocks if b.is_heading]
    assert [b.page for b in headings] == list(range(1, 21))


def test_docx_headings_become_nested_sections(docs_dir):
    blocks = extract(docs_dir / "guide.docx").blocks
    owl = next(b for b in blocks if "tawny owl" in b.text)
    assert owl.section == ("Field guide", "Birds", "Raptors at night")
    dormouse = next(b for b in blocks if "dormouse" in b.text)
    assert dormouse.section == ("Field guide", "Mammals")
    assert any(b.text == "badger | sett" for b in blocks)  # table rows are text too


def test_epub_chapters_in_reading_order(docs_dir):
    extracted = extract(docs_dir / "voyages.epub")
    assert extracted.title == "Two Voyages"
    texts = [b.text for b in extracted.blocks]
    assert texts.index("The Northern Sea") < texts.index("The Southern Islands")
    atoll = next(b for b in extracted.blocks if "atoll" in b.text)
    assert atoll.section == ("The Southern Islands",)
    log2 = next(b for b in extracted.blocks if b.text == "Entry 2 of the log.")
    assert log2.section == ("The Southern Islands", "Log")


def test_html_keeps_the_article_and_drops_menus_and_footer(docs_dir):
    extracted = extract(docs_dir / "otters.html")
    text = extracted.text
    assert "hold hands while sleeping" in text and "favourite stone" in text
    for noise in ("Shop now", "About us", "Click here for deals", "newsletter", "Copyright", "Cookie"):
        assert noise not in text
    diet = next(b for b in extracted.blocks if "quarter of its body weight" in b.text)
    assert diet.section == ("Sea otters", "Diet")


def test_markdown_headings_and_code_fences(docs_dir):
    blocks = extract(docs_dir / "garden.md").blocks
    assert [b.text for b in blocks if b.is_heading] == ["Garden notes", "Pests", "Watering"]
    dawn = next(b for b in blocks if "dawn" in b.text)
    assert dawn.section == ("Garden notes", "Watering")  # a setext heading (underlined with ---)
    code = next(b for b in blocks if "not a heading" in b.text)
    assert not code.is_heading and code.section == ("Garden notes", "Pests")


def test_latin1_text_is_decoded_not_mangled(docs_dir):
    extracted = extract(docs_dir / "latin1.txt")
    assert extracted.text == LATIN1_TEXT
    assert any("cp1252" in note or "latin" in note for note in extracted.notes)


def test_a_pdf_named_file_that_is_html_is_read_as_html_and_said_so(docs_dir):
    extracted = extract(docs_dir / "really-html.pdf")
    assert extracted.kind == "html"
    assert "hold hands while sleeping" in extracted.text
    assert "really an HTML page, not a PDF" in extracted.notes[0]


def test_owner_password_only_pdf_opens(docs_dir):
    assert "Readable text." in extract(docs_dir / "owner-only.pdf").text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("locked.pdf", "encrypted PDF"),
        ("scan.pdf", "this PDF has no text layer (a scan?); Hearth does not do OCR"),
        ("truncated.pdf", "damaged or truncated PDF"),
        ("empty.txt", "is empty"),
    ],
)
def test_bad_files_say_what_is_wrong(docs_dir, name, expected):
    with pytest.raises(DocumentError) as error:
        extract(docs_dir / name)
    message = str(error.value)
    assert expected in message and name in message


def test_detection_ignores_misleading_extensions(tmp_path, docs_dir):
    renamed = tmp_path / "report.txt"
    renamed.write_bytes((docs_dir / "guide.docx").read_bytes())
    assert detect_kind(renamed) == "docx"
    image = tmp_path / "photo.pdf"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(DocumentError, match="PNG image; Hearth does not do OCR"):
        detect_kind(image)
    archive = tmp_path / "bundle.docx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(DocumentError, match="zip archive, not a Word or EPUB"):
        detect_kind(archive)
    broken_docx = tmp_path / "broken.docx"
    broken_docx.write_bytes((docs_dir / "guide.docx").read_bytes()[:300])
    with pytest.raises(DocumentError, match="broken.docx"):
        extract(broken_docx)
    notes = tmp_path / "notes"
    notes.write_text("# Title\n\nBody text.\n", encoding="utf-8")
    assert detect_kind(notes) == "markdown"
    lesson = tmp_path / "lesson.txt"
    lesson.write_text("Put the visible page inside <body> and metadata in <head>.\n", encoding="utf-8")
    assert detect_kind(lesson) == "text"
    utf16 = tmp_path / "wide.txt"
    utf16.write_text("Grüße aus Köln.", encoding="utf-16")
    assert extract(utf16).text == "Grüße aus Köln."
