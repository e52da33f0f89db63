"""Regression tests for bugs found reviewing the generation path (engine/session.py, engine/text.py).

They use a byte-level tokenizer built in memory and a scripted host under the real ModelRunner,
so they run in well under a second without a GPU."""

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from engine.text import StreamDecoder


def byte_tokenizer(extra: list[str] = ()) -> Tokenizer:
    """One token per byte (ByteLevel alphabet), plus `extra` tokens spelled in that alphabet."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {c: i for i, c in enumerate(alphabet + list(extra))}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def byte_ids(tokenizer: Tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text).ids


def test_flush_cuts_a_stop_string_completed_by_a_token_that_ends_inside_a_character():
    # "DÃ" is the byte 'D' followed by the first byte of "é" (C3): the decoded text ends in U+FFFD,
    # so add() waits; when the reply then ends (EOS, max_tokens), flush() must still cut "END".
    tokenizer = byte_tokenizer(extra=["DÃ"])
    decoder = StreamDecoder(tokenizer, stop=["END"])
    ids = byte_ids(tokenizer, "ab EN") + [tokenizer.token_to_id("DÃ")]
    streamed = "".join(decoder.add(i) for i in ids)
    tail = decoder.flush()
    assert streamed + tail == "ab "
    assert decoder.stopped

