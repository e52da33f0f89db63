"""Blocks → chunks sized in tokens of the active model, following the document's structure.

Rules, in order: a heading starts a new chunk; a chunk never spans two pages; paragraphs stay whole
when they fit; a paragraph too long for one chunk is cut at sentences, then words, then characters.
Consecutive chunks of one page and section share `overlap_tokens` of trailing sentences, so a fact
cut at a boundary is still whole in one of them.

Invariant: chunk.text == document_text[chunk.char_start:chunk.char_end], where document_text is
Extracted.text (blocks joined by blank lines); citations and "show the passage" rely on it.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from desktop.documents.blocks import Block

BLOCK_SEPARATOR = "\n\n"
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？])")
WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    text: str
    page: int | None
    section: tuple[str, ...]
    char_start: int
    char_end: int
    token_count: int
    file: str | None = None


@dataclass
class _Unit:
    start: int
    end: int
    page: int | None
    section: tuple[str, ...]
    tokens: int
    is_heading: bool


def _spans(pattern_split: re.Pattern, text: str, base: int) -> Iterator[tuple[int, int]]:
    start = 0
    for match in pattern_split.finditer(text):
        if match.start() > start:
            yield base + start, base + match.start()
        start = match.end()
    if start < len(text):
        yield base + start, base + len(text)


def _split_long(doc: str, start: int, end: int, count: Callable[[str], int], limit: int, level: int = 0):
    """Pieces (start, end, tokens) of doc[start:end], each at most `limit` tokens."""
    tokens = count(doc[start:end])
    if tokens <= limit:
        yield start, end, tokens
        return
    if level == 2:  # no spaces left to cut at (CJK, a URL): cut by characters in proportion
        step = max(1, (end - start) * limit // tokens)
        for piece_start in range(start, end, step):
            piece_end = min(end, piece_start + step)
            yield piece_start, piece_end, count(doc[piece_start:piece_end])
        return
    if level == 0:
        parts = list(_spans(SENTENCE_END, doc[start:end], start))
    else:
        parts = [(start + m.start(), start + m.end()) for m in WORD.finditer(doc[start:end])]
    if len(parts) <= 1:
        yield from _split_long(doc, start, end, count, limit, level + 1)
        return
    piece_start, piece_end, piece_tokens = None, None, 0
    for part_start, part_end in parts:
        part_tokens = count(doc[part_start:part_end])
        if piece_start is not None and piece_tokens + part_tokens <= limit:
            piece_end, piece_tokens = part_end, piece_tokens + part_tokens
            continue
        if piece_start is not None:
            yield piece_start, piece_end, piece_tokens
        if part_tokens > limit:
            yield from _split_long(doc, part_start, part_end, count, limit, level + 1)
            piece_start, piece_tokens = None, 0
        else:
            piece_start, piece_end, piece_tokens = part_start, part_end, part_tokens
    if piece_start is not None:
        yield piece_start, piece_end, piece_tokens


def _units(blocks: list[Block], doc: str, count, max_tokens: int) -> list[_Unit]:
    units, position = [], 0
    for block in blocks:
        start, end = position, position + len(block.text)
        position = end + len(BLOCK_SEPARATOR)
        for piece_start, piece_end, tokens in _split_long(doc, start, end, count, max_tokens):
            units.append(_Unit(piece_start, piece_end, block.page, block.section, tokens, block.is_heading))
    return units


def _overlap_start(doc: str, unit: _Unit, count, overlap_tokens: int) -> tuple[int, int]:
    """Where the trailing sentences of `unit` worth at most `overlap_tokens` begin, and their tokens."""
    sentences = list(_spans(SENTENCE_END, doc[unit.start : unit.end], unit.start))
    start, tokens = unit.end, 0
    for sentence_start, _ in reversed(sentences):
        wider = count(doc[sentence_start : unit.end])
        if wider > overlap_tokens:
            break
        start, tokens = sentence_start, wider
    return start, tokens


def chunk_blocks(
    blocks: list[Block],
    count_tokens: Callable[[str], int],
    max_tokens: int = 256,
    overlap_tokens: int = 32,
    file: str | None = None,
) -> list[Chunk]:
    if overlap_tokens >= max_tokens:
        raise ValueError("overlap_tokens must be smaller than max_tokens")
    doc = BLOCK_SEPARATOR.join(block.text for block in blocks)
    chunks: list[Chunk] = []
    current: list[_Unit] = []
    start, tokens = 0, 0

    def emit():
        first = next((u for u in current if u.start >= start), current[0])
        end = current[-1].end
        text = doc[start:end]
        tokens = count_tokens(text)
        chunks.append(Chunk(len(chunks), text, first.page, first.section, start, end, tokens, file))

    # Pieces of a long paragraph leave room for the overlap that will precede them.
    for unit in _units(blocks, doc, count_tokens, max_tokens - overlap_tokens):
        if not current:
            current, start, tokens = [unit], unit.start, unit.tokens
            continue
        new_page = unit.page != current[-1].page
        new_heading = unit.is_heading and not all(u.is_heading for u in current)
        if not new_page and not new_heading and tokens + unit.tokens <= max_tokens:
            current.append(unit)
            tokens += unit.tokens
            continue
        emit()
        last = current[-1]
        current, start, tokens = [unit], unit.start, unit.tokens
        same_place = not new_page and not new_heading and last.section == unit.section and not last.is_heading
        if same_place and overlap_tokens:
            overlap_start, overlap = _overlap_start(doc, last, count_tokens, overlap_tokens)
            if overlap and overlap + unit.tokens <= max_tokens:
                current, start, tokens = [last, unit], overlap_start, overlap + unit.tokens
    if current:
        emit()
    return chunks
