"""Documents built once per test session (fpdf2 and friends are not free on a shared 2-core machine)."""

import pytest

from desktop.documents.library import Library
from desktop.documents.tokens import approximate_counter
from tests.documents import make_docs


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    make_docs.write_pdf(folder / "facts.pdf", make_docs.fact_pdf_pages(20))
    make_docs.write_pdf(folder / "locked.pdf", [("Secret", ["Hidden text."])], owner_password="o", user_password="u")
    make_docs.write_pdf(folder / "owner-only.pdf", [("Open", ["Readable text."])], owner_password="o")
    make_docs.write_image_only_pdf(folder / "scan.pdf")
    make_docs.write_docx(folder / "guide.docx")
    make_docs.write_epub(folder / "voyages.epub")
    (folder / "otters.html").write_text(make_docs.NOISY_HTML, encoding="utf-8")
    (folder / "really-html.pdf").write_text(make_docs.NOISY_HTML, encoding="utf-8")
    (folder / "garden.md").write_text(make_docs.MARKDOWN, encoding="utf-8")
    (folder / "latin1.txt").write_bytes(make_docs.LATIN1_TEXT.encode("latin-1"))
    (folder / "empty.txt").write_bytes(b"")
    whole = (folder / "facts.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    return folder


@pytest.fixture
def library(hearth_home):
    return Library(token_counter=approximate_counter())
