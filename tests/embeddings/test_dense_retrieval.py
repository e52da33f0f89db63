"""Hybrid retrieval with real embeddings: paraphrased questions that share no words with the answer,
which BM25 alone cannot find, are found once the dense ranking is fused in; vectors are cached."""

import logging

import pytest

from desktop.documents.dense import DenseIndex
from desktop.documents.library import Library
from desktop.documents.retrieval import search
from desktop.documents.tokens import approximate_counter
from desktop.errors import EngineError

HANDBOOK = """# Guest handbook

Everything about your visit.

## Refunds

Customers may return purchased items within thirty days to receive their money back.

## Shipping

Parcels leave our warehouse every weekday morning by courier.

## Passwords

To regain access after losing your login credentials, use the recovery link on the sign-in page.

## Pets

Dogs and cats are welcome in the hotel rooms for a small nightly fee.

## Parking

The garage beneath the building offers spaces for cars overnight.

## Breakfast

A buffet with eggs, bread and fruit is served in the dining hall from seven until ten.
"""

# (question, the section holding the answer). Few or no words in common with the answer: BM25
# ranks it nowhere or below other chunks. (RRF puts any chunk that both rankings hold above one
# only the dense ranking holds, so these questions share few words with any chunk at all.)
PARAPHRASES = [
    ("Can I bring my puppy along when I stay?", "Pets"),
    ("Could I obtain reimbursement on stuff I purchase?", "Refunds"),
    ("Where can I leave my vehicle at night?", "Parking"),
    ("When do orders get sent out?", "Shipping"),
]


class CountingEmbedder:
    def __init__(self, embedder):
        self.inner, self.model_id, self.dimension, self.calls = embedder, embedder.model_id, embedder.dimension, []

    def embed(self, texts):
        self.calls.append(list(texts))
        return self.inner.embed(texts)


@pytest.fixture
def handbook(hearth_home, tmp_path):
    path = tmp_path / "handbook.md"
    path.write_text(HANDBOOK, encoding="utf-8")
    library = Library(token_counter=approximate_counter(), max_tokens=48, overlap_tokens=0)
    return library, library.add(path).document


def sections(hits) -> list[str]:
    return [hit.chunk.section[-1] for hit in hits]


def test_fusion_finds_paraphrases_that_bm25_misses(handbook, embedder):
    library, doc = handbook
    counting = CountingEmbedder(embedder)
    dense = DenseIndex(library, lambda: counting)
    for question, answer in PARAPHRASES:
        assert answer not in sections(search(question, [doc.id], k=3, library=library)), question
        fused = search(question, [doc.id], k=3, library=library, dense=dense)
        assert answer in sections(fused), f"{question}: {sections(fused)}"
        assert next(h for h in fused if h.chunk.section[-1] == answer).dense_rank == 1
    chunk_batches = [c for c in counting.calls if len(c) > 1]
    assert len(chunk_batches) == 1 and len(chunk_batches[0]) == doc.chunk_count  # chunks embedded once

    again = CountingEmbedder(embedder)
    DenseIndex(library, lambda: again)("Can I bring my dog?", [doc.id], 5)
    assert again.calls == [["Can I bring my dog?"]]  # a new index reads the cached vectors
    assert len(list((library.folder / "embeddings").glob(f"doc{doc.id}-*.npy"))) == 1


def test_without_an_engine_bm25_ranks_alone_and_the_reason_is_logged(handbook, caplog):
    library, doc = handbook
    attempts = []

    def no_adapter():
        attempts.append(1)
        raise EngineError("No GPU adapter was found (test); install a Vulkan driver.")

    dense = DenseIndex(library, no_adapter)
    question = "Where is breakfast served?"
    with caplog.at_level(logging.WARNING, logger="hearth.documents.dense"):
        fused = search(question, [doc.id], k=3, library=library, dense=dense)
        search(question, [doc.id], k=3, library=library, dense=dense)
    bm25 = search(question, [doc.id], k=3, library=library)
    assert [h.chunk.id for h in fused] == [h.chunk.id for h in bm25] and sections(fused)[0] == "Breakfast"
    assert all(h.dense_rank is None for h in fused)
    assert len(attempts) == 1 and "No GPU adapter" in dense.unavailable
    assert [r.message for r in caplog.records if "BM25 alone" in r.message] != []
