"""Hybrid retrieval on a generated 10-page PDF with real all-MiniLM-L6-v2 embeddings: paraphrased and
keyword questions all find their page in the top 3; BM25 alone misses paraphrases; keyword questions
need no help from embeddings (they survive a dense ranking turned upside down); and plain RRF, the
fusion this replaced, fails both ways on the same document."""

import pytest

from desktop.documents import retrieval
from desktop.documents.dense import DenseIndex
from desktop.documents.library import Library
from desktop.documents.retrieval import search
from desktop.documents.tokens import approximate_counter
from tests.documents.make_docs import HYBRID_PAGES, HYBRID_QUESTIONS, write_hybrid_pdf

TOP = 3


class QuestionsInOneBatch:
    """The real embedder, with every test question embedded in one call up front (a call costs
    seconds on lavapipe whatever its length); other texts (the chunks) go to the engine as usual."""

    def __init__(self, embedder, questions):
        self.inner, self.model_id, self.dimension = embedder, embedder.model_id, embedder.dimension
        self.known = dict(zip(questions, embedder.embed(questions), strict=True))

    def embed(self, texts):
        if len(texts) == 1 and texts[0] in self.known:
            return self.known[texts[0]][None, :]
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def hybrid(embedder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hybrid")
    library = Library(folder / "documents", token_counter=approximate_counter(), max_tokens=96, overlap_tokens=16)
    doc = library.add(write_hybrid_pdf(folder / "town.pdf")).document
    assert [c.page for c in library.chunks(doc.id)] == list(range(1, len(HYBRID_PAGES) + 1))  # a chunk per page
    questions = [q for q, _, _ in HYBRID_QUESTIONS]
    dense = DenseIndex(library, lambda: QuestionsInOneBatch(embedder, questions))
    return library, doc.id, dense


def upside_down(dense):
    """A dense ranking that gets everything wrong: the stand-in for embeddings that do not know a
    name, number or code (where keyword questions must not depend on them)."""
    return lambda question, doc_ids, limit: list(reversed(dense(question, doc_ids, 10_000)))[:limit]


def rank_of(page, hits) -> int | None:
    pages = [hit.page for hit in hits]
    return pages.index(page) + 1 if page in pages else None


def ranks(library, doc_id, dense, kind=None) -> dict[str, int | None]:
    return {
        question: rank_of(page, search(question, [doc_id], k=len(HYBRID_PAGES), library=library, dense=dense))
        for question, page, question_kind in HYBRID_QUESTIONS
        if kind in (None, question_kind)
    }


def missed(found: dict) -> list[str]:
    return [question for question, rank in found.items() if rank is None or rank > TOP]


def test_hybrid_puts_every_answer_page_in_the_top_three(hybrid):
    library, doc_id, dense = hybrid
    found = ranks(library, doc_id, dense)
    assert missed(found) == [], found
    assert dense.unavailable is None


def test_bm25_alone_misses_paraphrases_but_finds_every_keyword_question(hybrid):
    library, doc_id, _ = hybrid
    assert len(missed(ranks(library, doc_id, None, "paraphrase"))) >= 2
    assert missed(ranks(library, doc_id, None, "keyword")) == []


def test_keyword_questions_survive_a_wrong_dense_ranking(hybrid):
    library, doc_id, dense = hybrid
    found = ranks(library, doc_id, upside_down(dense), "keyword")
    assert missed(found) == [], found


def test_plain_rrf_fails_on_the_same_document(hybrid, monkeypatch):
    """The witness that the keyword-evidence gate matters: without it (and with the old 50-deep
    dense list) a paraphrase falls out of the top 3 and a wrong dense ranking buries keyword matches."""
    library, doc_id, dense = hybrid
    monkeypatch.setattr(retrieval, "KEYWORD_EVIDENCE", 0.0)
    monkeypatch.setattr(retrieval, "DENSE_CANDIDATES", 50)
    assert missed(ranks(library, doc_id, dense, "paraphrase")) != []
    assert len(missed(ranks(library, doc_id, upside_down(dense), "keyword"))) >= 3
