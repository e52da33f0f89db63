"""BM25 arithmetic against a direct transcription of the Okapi formula, and the multilingual tokenizer."""

import math

import pytest

from desktop.documents.bm25 import MemoryIndex, tokenize


def test_tokenizer_lowercases_unicode_words_and_splits_cjk_into_characters():
    assert tokenize("Straße, CAFÉ au-lait_2024!") == ["strasse", "café", "au", "lait", "2024"]
    assert tokenize("東京タワーは333メートル") == ["東", "京", "タ", "ワ", "ー", "は", "333", "メ", "ー", "ト", "ル"]
    assert tokenize("서울은 한국의 수도") == ["서울은", "한국의", "수도"]  # Hangul is spaced: words
    assert tokenize("Ｆｕｌｌｗｉｄｔｈ ﬁ") == ["fullwidth", "fi"]  # NFKC folds compatibility forms
    assert tokenize("Привет, МИР") == ["привет", "мир"]


CORPUS = {
    1: "the quick brown fox jumps over the lazy dog",
    2: "the fox is quick and the fox is brown",
    3: "a slow green turtle walks past the sleeping dog near the river bank",
    4: "völlig andere wörter über füchse",
}


def okapi(query, docs, k1=1.2, b=0.75):
    """Textbook Okapi BM25 with Lucene's non-negative idf, written out independently."""
    tokenized = {i: t.split() for i, t in docs.items()}
    n = len(docs)
    avgdl = sum(len(t) for t in tokenized.values()) / n
    scores = {}
    for i, terms in tokenized.items():
        total = 0.0
        for q in query.split():
            tf = terms.count(q)
            if not tf:
                continue
            df = sum(q in t for t in tokenized.values())
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(terms) / avgdl))
        if total:
            scores[i] = total
    return scores


@pytest.mark.parametrize("query", ["quick fox", "dog", "brown fox fox", "river turtle", "nothing here"])
def test_scores_match_the_okapi_formula(query):
    expected = okapi(query, CORPUS)
    got = dict(MemoryIndex(CORPUS).search(query, k=10))
    assert got.keys() == expected.keys()
    for chunk_id, score in expected.items():
        assert got[chunk_id] == pytest.approx(score, rel=1e-12)


def test_library_index_scores_equal_the_in_memory_index(library, tmp_path):
    for i, text in CORPUS.items():
        (tmp_path / f"{i}.txt").write_text(text, encoding="utf-8")
        library.add(tmp_path / f"{i}.txt")
    by_text = {c.text: c.id for d in library.documents() for c in library.chunks(d.id)}
    memory = MemoryIndex({by_text[text]: text for text in CORPUS.values()})
    for query in ("quick brown fox", "the dog", "füchse über"):
        stored, expected = library.bm25(query), memory.search(query, k=50)
        assert [c for c, _ in stored] == [c for c, _ in expected] and len(expected) >= 1
        assert [s for _, s in stored] == pytest.approx([s for _, s in expected], rel=1e-12)


def test_scope_restricts_to_the_chosen_documents(library, tmp_path):
    for i, text in CORPUS.items():
        (tmp_path / f"{i}.txt").write_text(text, encoding="utf-8")
    ids = [library.add(tmp_path / f"{i}.txt").document.id for i in CORPUS]
    everywhere = {library.chunks_by_id([c])[c].doc_id for c, _ in library.bm25("dog")}
    assert everywhere == {ids[0], ids[2]}
    scoped = library.bm25("dog", doc_ids=[ids[2]])
    assert [library.chunks_by_id([c])[c].doc_id for c, _ in scoped] == [ids[2]]
    assert library.bm25("dog", doc_ids=[]) == []
