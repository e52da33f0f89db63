"""A 300-page PDF goes through extraction, chunking, indexing and retrieval whole (timings: not here)."""

from desktop.documents.extract import extract
from desktop.documents.retrieval import search
from tests.documents.make_docs import FILLER, write_pdf


def test_three_hundred_pages(tmp_path, library):
    pages = [
        (f"Chapter {i}", [f"Ledger page {i} records the reading {i * 7919 % 100003} at gauge G{i}.", FILLER])
        for i in range(1, 301)
    ]
    path = write_pdf(tmp_path / "ledger.pdf", pages)
    extracted = extract(path)
    assert extracted.pages == 300
    assert {b.page for b in extracted.blocks} == set(range(1, 301))
    info = library.add(path).document
    assert info.chunk_count >= 300
    for page in (1, 137, 250, 300):
        hits = search(f"which reading is recorded at gauge G{page}", doc_ids=[info.id], k=3, library=library)
        assert hits[0].page == page
        assert hits[0].citation(1)["section"] == f"Chapter {page}"
