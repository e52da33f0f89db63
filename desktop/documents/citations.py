"""From retrieved chunks to what an answer cites: numbered sources, quotes, a delimited data block.

`ask` numbers the hits [1], [2], ... in rank order, puts `sources_block(hits)` in the prompt and
returns `[hit.citation(n, question) for n, hit in enumerate(hits, 1)]` next to the answer.
"""

import re
from pathlib import Path

from desktop.documents.bm25 import tokenize

SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])|\n+")  # "2.4 metres" is one sentence
QUOTE_CHARS = 300
SOURCES_OPEN, SOURCES_CLOSE = "<<<SOURCES", "SOURCES>>>"


def best_quote(text: str, question: str, max_chars: int = QUOTE_CHARS) -> str:
    """The sentence of `text` sharing the most distinct terms with `question` (an exact substring).

    Falls back to the chunk's opening when nothing matches; cut at a word boundary past max_chars.
    """
    wanted = set(tokenize(question))
    best, best_score = None, 0
    for sentence in SENTENCE_BREAK.split(text):
        sentence = sentence.strip()
        score = len(wanted & set(tokenize(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    quote = best if best else text.strip()
    if len(quote) > max_chars:
        cut = quote.rfind(" ", 0, max_chars)
        quote = quote[: cut if cut > max_chars // 2 else max_chars]
    return quote


def source_label(n: int, file: str, page: int | None, section: tuple[str, ...]) -> str:
    where = [Path(file).name]
    if page is not None:
        where.append(f"page {page}")
    if section:
        where.append("section " + " > ".join(section))
    return f"[{n}] " + ", ".join(where)


def sources_block(hits) -> str:
    """The retrieved text as one delimited data block: the model is told it is data, not instructions.

    A chunk that contains the closing marker (a document trying to end the block) has it defused.
    """
    parts = [SOURCES_OPEN]
    for n, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        body = chunk.text.replace(SOURCES_CLOSE, "SOURCES >>>").replace(SOURCES_OPEN, "<<< SOURCES")
        parts.append(source_label(n, chunk.file, chunk.page, chunk.section))
        parts.append(body)
        parts.append("")
    parts.append(SOURCES_CLOSE)
    return "\n".join(parts)
