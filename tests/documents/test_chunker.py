"""Chunks follow the document's structure, respect the token budget and point back at the text."""

import pytest

from desktop.documents.blocks import Block
from desktop.documents.chunker import chunk_blocks
from desktop.documents.extract import extract
from desktop.documents.tokens import approximate_counter, model_token_counter

count = approximate_counter().count


def _sentences(prefix: str, n: int) -> str:
    return " ".join(f"{prefix} sentence number {i} has some words." for i in range(n))


def _check_offsets(blocks, chunks):
    document = "\n\n".join(b.text for b in blocks)
    for chunk in chunks:
        assert document[chunk.char_start : chunk.char_end] == chunk.text


def test_headings_start_chunks_and_paragraphs_stay_whole():
    blocks = [
        Block("Intro", None, ("Intro",), True),
        Block(_sentences("a", 3), None, ("Intro",)),
        Block(_sentences("b", 3), None, ("Intro",)),
        Block("Method", None, ("Method",), True),
        Block(_sentences("c", 2), None, ("Method",)),
    ]
    chunks = chunk_blocks(blocks, count, max_tokens=200, overlap_tokens=20)
    assert [c.section for c in chunks] == [("Intro",), ("Method",)]
    assert chunks[0].text.startswith("Intro\n\n") and blocks[2].text in chunks[0].text
    assert chunks[1].text == "Method\n\n" + blocks[4].text
    _check_offsets(blocks, chunks)


def test_no_chunk_spans_two_pages():
    blocks = [Block(_sentences(f"p{page}", 2), page) for page in (1, 1, 2, 3, 3)]
    chunks = chunk_blocks(blocks, count, max_tokens=500, overlap_tokens=20)
    assert [c.page for c in chunks] == [1, 2, 3]
    for chunk in chunks:
        assert all(f"p{chunk.page} " in s for s in chunk.text.split("\n\n"))


def test_long_paragraphs_split_at_sentences_within_budget_with_overlap():
    paragraph = _sentences("long", 60)  # ~600 approximate tokens
    blocks = [Block(paragraph, 4, ("Results",))]
    chunks = chunk_blocks(blocks, count, max_tokens=100, overlap_tokens=25)
    assert len(chunks) >= 6
    assert all(c.token_count <= 100 for c in chunks)
    assert all(c.page == 4 and c.section == ("Results",) for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.char_start < before.char_end  # overlap: the next chunk repeats the tail
        assert after.text.split(". ")[0] + "." in before.text
        assert after.text.startswith("long sentence number")  # overlap starts at a sentence, not mid-word
    covered = "".join(paragraph[c.char_start : c.char_end] for c in chunks)
    assert all(f"number {i} " in covered for i in range(60))
    _check_offsets(blocks, chunks)


def test_text_without_spaces_or_sentences_is_still_cut_to_budget():
    blocks = [Block("東京" * 600, None), Block("x" * 5000, None)]
    tokens = lambda text: len(text) // 4 + 1  # noqa: E731 - a tokenizer that counts characters
    chunks = chunk_blocks(blocks, tokens, max_tokens=64, overlap_tokens=8)
    assert all(c.token_count <= 64 for c in chunks)
    assert sum(c.char_end - c.char_start for c in chunks) >= 1200 + 5000
    _check_offsets(blocks, chunks)


def test_overlap_must_be_smaller_than_chunks():
    with pytest.raises(ValueError):
        chunk_blocks([Block("a")], count, max_tokens=10, overlap_tokens=10)


def test_chunks_of_a_pdf_in_model_tokens(docs_dir):
    counter = model_token_counter()  # the built-in SmolLM2's tokenizer, read from its GGUF
    assert counter.name == "smollm2-135m-instruct"
    extracted = extract(docs_dir / "facts.pdf")
    chunks = chunk_blocks(extracted.blocks, counter.count, max_tokens=64, overlap_tokens=16, file="facts.pdf")
    assert all(c.token_count <= 64 for c in chunks)
    assert {c.page for c in chunks} == set(range(1, 21))
    assert all(c.file == "facts.pdf" for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    _check_offsets(extracted.blocks, chunks)
