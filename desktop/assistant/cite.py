"""An answer's [n] markers → citations: {"n","file","name","page","section","quote","cited","chunk_id"}
(`ask --json` promises n, file, page, section, quote; the rest serve the UI).

`quote` is the cited passage's most relevant sentence, relevant to the question and to the answer's
sentences that cite it (an exact substring of the passage, so the UI can highlight it). When the
answer cites nothing, the top sources are still returned, with "cited": false, so there is
always something to show next to an answer.
"""

import re
from collections.abc import Sequence

from desktop.documents.citations import best_quote

MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d+(?:\s*[-–,;]\s*(?:sources?\s*)?\d+)*)\s*\]", re.IGNORECASE)
ANSWER_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
UNCITED_SOURCES = 3


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group):
        ends = [int(x) for x in re.findall(r"\d+", part)]
        if len(ends) == 2 and ends[0] <= ends[1] and ends[1] - ends[0] < 50:  # a range such as [2-4]
            numbers.extend(range(ends[0], ends[1] + 1))
        else:
            numbers.extend(ends)
    return numbers


def cited_numbers(answer: str, source_count: int) -> list[int]:
    """Source numbers the answer cites, in order of first mention; numbers with no source (a year in
    brackets, a hallucinated [9]) are ignored."""
    seen: list[int] = []
    for match in MARKER.finditer(answer):
        for n in _numbers(match.group(1)):
            if 1 <= n <= source_count and n not in seen:
                seen.append(n)
    return seen


def citing_sentences(answer: str, n: int) -> str:
    return " ".join(s for s in ANSWER_SENTENCE.split(answer) if n in cited_numbers(s, n))


def citation(n: int, chunk, question: str, context: str = "", cited: bool = True) -> dict:
    return {
        "n": n,
        "file": chunk.file,
        "name": chunk.name,
        "page": chunk.page,
        "section": " > ".join(chunk.section) or None,
        "quote": best_quote(chunk.text, f"{question} {context}".strip()),
        "cited": cited,
        "chunk_id": chunk.id,  # "show the passage": GET /api/documents/chunks/CHUNK_ID
    }


def citations_for(answer: str, chunks: Sequence, question: str) -> tuple[list[dict], bool]:
    """(citations, whether the answer cited any). `chunks[n - 1]` is source [n]."""
    numbers = cited_numbers(answer, len(chunks))
    if numbers:
        return [citation(n, chunks[n - 1], question, citing_sentences(answer, n)) for n in numbers], True
    top = chunks[:UNCITED_SOURCES]
    return [citation(n, chunk, question, answer, cited=False) for n, chunk in enumerate(top, 1)], False
