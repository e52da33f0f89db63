"""Question → ranked chunks: BM25, optionally fused with a dense (embedding) ranking by reciprocal rank.

The dense side is a hook: any callable `(question, doc_ids, limit) -> [(chunk_id, score)]`, best
first. Without one, BM25 alone ranks (the fallback the design asks for). Fusion is RRF with k=60:
score(chunk) = sum over rankings of 1 / (60 + rank), ranks starting at 1.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.documents.citations import best_quote
from desktop.documents.library import Library, StoredChunk

RRF_K = 60
CANDIDATES = 50  # how deep each ranking goes before fusion

DenseScorer = Callable[[str, Sequence[int] | None, int], list[tuple[int, float]]]


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float  # the fused score (or the BM25 score when BM25 ranks alone)
    bm25_rank: int | None  # 1-based rank in each ranking, None where that ranking missed it
    dense_rank: int | None

    @property
    def page(self) -> int | None:
        return self.chunk.page

    def citation(self, n: int, question: str = "") -> dict:
        """The `ask --json` citation shape: {"n","file","page","section","quote"}."""
        return {
            "n": n,
            "file": self.chunk.file,
            "page": self.chunk.page,
            "section": " > ".join(self.chunk.section) or None,
            "quote": best_quote(self.chunk.text, question),
        }


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


class Retriever:
    def __init__(self, library: Library | None = None, dense: DenseScorer | None = None):
        self.library = library or Library()
        self.dense = dense

    def search(self, question: str, doc_ids: Sequence[int] | None = None, k: int = 8) -> list[Hit]:
        ids = list(doc_ids) if doc_ids is not None else None
        lexical = self.library.bm25(question, ids, CANDIDATES)
        bm25_order = [chunk_id for chunk_id, _ in lexical]
        dense_order: list[int] = []
        if self.dense is not None:
            dense_order = [chunk_id for chunk_id, _ in self.dense(question, ids, CANDIDATES)]
        if dense_order:
            fused = reciprocal_rank_fusion([bm25_order, dense_order])
            order = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[:k]
            scores = fused
        else:
            order = bm25_order[:k]
            scores = dict(lexical)
        chunks = self.library.chunks_by_id(order)
        bm25_rank = {chunk_id: rank for rank, chunk_id in enumerate(bm25_order, start=1)}
        dense_rank = {chunk_id: rank for rank, chunk_id in enumerate(dense_order, start=1)}
        return [
            Hit(chunks[chunk_id], scores[chunk_id], bm25_rank.get(chunk_id), dense_rank.get(chunk_id))
            for chunk_id in order
            if chunk_id in chunks  # a document removed between ranking and reading
        ]


def search(
    question: str,
    doc_ids: Sequence[int] | None = None,
    k: int = 8,
    library: Library | None = None,
    dense: DenseScorer | None = None,
) -> list[Hit]:
    """Ranked chunks for `question` over `doc_ids` (every document in the library when None)."""
    return Retriever(library, dense).search(question, doc_ids, k)
