"""Okapi BM25 over chunks, with a tokenizer that works for any language.

Terms: NFKC-normalised, case-folded runs of Unicode letters and digits; every Han, Hiragana and
Katakana character is a term of its own (those scripts do not separate words with spaces, and
single characters are how CJK full-text search usually indexes). Hangul is spaced, so it stays words.

The index itself (postings, lengths) is persisted by the library; this module is the arithmetic,
plus an in-memory index for callers without a library.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

K1 = 1.2
B = 0.75
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
CJK_CHAR = re.compile(f"([{CJK}])")
WORD = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return WORD.findall(CJK_CHAR.sub(r" \1 ", text))


def term_frequencies(text: str) -> Counter:
    return Counter(tokenize(text))


def idf(document_frequency: int, document_count: int) -> float:
    """The BM25 idf with +1 inside the log (as Lucene), so a term in most chunks never scores below 0."""
    return math.log(1 + (document_count - document_frequency + 0.5) / (document_frequency + 0.5))


def bm25_scores(
    query_terms: Iterable[str],
    postings: Mapping[str, Mapping[int, int]],
    lengths: Mapping[int, int],
    document_count: int,
    average_length: float,
    k1: float = K1,
    b: float = B,
) -> dict[int, float]:
    """Scores of every chunk that holds a query term.

    postings: term → {chunk id: term frequency}; lengths: chunk id → its number of terms.
    A term repeated in the query counts once per repetition, as in Okapi BM25.
    """
    scores: dict[int, float] = {}
    average_length = max(average_length, 1e-9)
    for term in query_terms:
        holders = postings.get(term)
        if not holders:
            continue
        weight = idf(len(holders), document_count)
        for chunk_id, tf in holders.items():
            norm = k1 * (1 - b + b * lengths[chunk_id] / average_length)
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * tf * (k1 + 1) / (tf + norm)
    return scores


def ranked(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """Best first; ties broken by chunk id so results are repeatable."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


class MemoryIndex:
    """BM25 over texts held in memory, for callers that do not use the library."""

    def __init__(self, texts: Mapping[int, str]):
        self.postings: dict[str, dict[int, int]] = {}
        self.lengths: dict[int, int] = {}
        for chunk_id, text in texts.items():
            counts = term_frequencies(text)
            self.lengths[chunk_id] = sum(counts.values())
            for term, tf in counts.items():
                self.postings.setdefault(term, {})[chunk_id] = tf

    def search(self, query: str, k: int = 8) -> list[tuple[int, float]]:
        count = len(self.lengths)
        average = sum(self.lengths.values()) / count if count else 0.0
        return ranked(bm25_scores(tokenize(query), self.postings, self.lengths, count, average), k)
