"""Question → ranked chunks: BM25, optionally fused with a dense (embedding) ranking by reciprocal rank.

The dense side is a hook: any callable `(question, doc_ids, limit) -> [(chunk_id, score)]`, best
first. Without one, BM25 alone ranks (the fallback the design asks for). Fusion is RRF with k=60:
score(chunk) = sum over rankings of 1 / (60 + rank), ranks starting at 1.

Plain RRF rewards being in both rankings over being first in one (2/(60+r) > 1/61 for any r < 60),
and in a small document every chunk is in both: BM25 ranks each chunk that shares "the" with the
question, the dense ranking ranks them all. A paraphrase that shares only common words with its
answer then loses to any chunk that shares one with the question, and a wrong dense ranking (names,
numbers and codes are where embeddings are weak) buries an exact keyword match. So a chunk joins
the fusion through BM25 only with real keyword evidence: a score of at least KEYWORD_EVIDENCE of
what a chunk holding every question term once would score (Library.question_weight; terms the
documents never use count at full weight, so "the" and "is" weigh almost nothing and a question in
other words matches little). Measured on tests/embeddings/test_hybrid_fusion.py's document:
keyword questions reach 0.38-0.83 of that weight, paraphrases at most 0.14.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.documents.citations import best_quote
from desktop.documents.library import Library, StoredChunk

RRF_K = 60
CANDIDATES = 50  # how deep the BM25 ranking goes (and the BM25-alone ranking)
DENSE_CANDIDATES = 20  # how deep the dense ranking goes: past that, cosines say little
KEYWORD_EVIDENCE = 0.25  # share of the question's BM25 weight a chunk needs to join the fusion through BM25

DenseScorer = Callable[[str, Sequence[int] | None, int], list[tuple[int, float]]]


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float  # the fused score (or the BM25 score when BM25 ranks alone)
    bm25_rank: int | None  # 1-based rank in each ranking that was fused, None where it missed the chunk
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
        dense_order: list[int] = []
        if self.dense is not None:
            dense_order = [chunk_id for chunk_id, _ in self.dense(question, ids, DENSE_CANDIDATES)]
        if dense_order:
            floor = KEYWORD_EVIDENCE * self.library.question_weight(question, ids)
            bm25_order = [chunk_id for chunk_id, score in lexical if score >= floor]
            fused = reciprocal_rank_fusion([bm25_order, dense_order])
            order = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[:k]
            scores = fused
        else:
            bm25_order = [chunk_id for chunk_id, _ in lexical]
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
