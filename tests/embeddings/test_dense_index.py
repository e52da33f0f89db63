"""DenseIndex plumbing with a GPU-free stand-in embedder: precompute with progress, cancel between
batches, a GPU failure half-way and HEARTH_EMBEDDINGS=off all leave BM25 ranking alone, said once."""

import threading

import pytest

from desktop.documents import dense as dense_module
from desktop.documents.dense import DenseIndex
from desktop.documents.errors import Cancelled
from desktop.documents.library import Library
from desktop.documents.retrieval import search
from desktop.documents.tokens import approximate_counter
from tests.documents.fake_embedder import FakeEmbedder

PARTS = 40  # passages: more than one EMBED_BATCH


@pytest.fixture
def book(hearth_home, tmp_path):
    path = tmp_path / "book.md"
    path.write_text("\n\n".join(f"## Part {k}\n\nThe gate of house {k} is painted." for k in range(PARTS)))
    library = Library(token_counter=approximate_counter(), max_tokens=24, overlap_tokens=0)
    doc = library.add(path).document
    assert doc.chunk_count > dense_module.EMBED_BATCH
    return library, doc


def test_precompute_embeds_in_batches_with_progress_and_once(book):
    library, doc = book
    fake, seen = FakeEmbedder(), []
    index = DenseIndex(library, lambda: fake, on_progress=lambda *event: seen.append(event))
    assert index.precompute([doc.id]) == 1 and index.mode == "hybrid"
    n, batch = doc.chunk_count, dense_module.EMBED_BATCH
    assert seen == [("book.md", done, n) for done in range(0, n, batch)] + [("book.md", n, n)]
    assert [len(call) for call in fake.calls] == [min(batch, n - start) for start in range(0, n, batch)]
    fake.calls.clear()
    hits = DenseIndex(library, lambda: fake)("house 7 gate", [doc.id], 3)
    assert fake.calls == [["house 7 gate"]] and len(hits) == 3  # a new index reads the cached vectors


def test_cancel_stops_between_batches_and_caches_nothing(book):
    library, doc = book
    cancel = threading.Event()

    def progress(name, done, total):
        if done:
            cancel.set()  # pressed after the first batch

    fake = FakeEmbedder()
    with pytest.raises(Cancelled):
        DenseIndex(library, lambda: fake, on_progress=progress).precompute([doc.id], cancel)
    assert len(fake.calls) == 1 and not list((library.folder / "embeddings").glob("*.npy"))


def test_a_gpu_failure_half_way_falls_back_to_bm25_and_says_so_once(book):
    library, doc = book
    reasons = []
    index = DenseIndex(library, lambda: FakeEmbedder(fail_after=1), on_unavailable=reasons.append)
    question = "Which gate is in house 7?"
    fused = search(question, [doc.id], k=3, library=library, dense=index)
    search(question, [doc.id], k=3, library=library, dense=index)
    assert [h.chunk.id for h in fused] == [h.chunk.id for h in search(question, [doc.id], k=3, library=library)]
    assert index.mode == "bm25" and reasons == ["The GPU was lost while embedding (test); restart Hearth."]


def test_hearth_embeddings_off_never_loads_the_engine(book, monkeypatch):
    library, doc = book
    monkeypatch.setenv("HEARTH_EMBEDDINGS", "off")
    loads, reasons = [], []
    index = DenseIndex(library, lambda: loads.append(1) or FakeEmbedder(), on_unavailable=reasons.append)
    assert index("house 7", [doc.id], 5) == [] and index.precompute([doc.id]) == 0
    assert loads == [] and len(reasons) == 1 and "HEARTH_EMBEDDINGS" in reasons[0]
