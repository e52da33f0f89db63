"""Sessions on a tiny model: KV reuse across turns, context full, stop strings, UTF-8-safe streaming."""

import numpy as np
from tokenizers import Tokenizer

from engine.runner import Sampling
from engine.session import Session
from engine.text import StreamDecoder
from tests.engine.tiny_store import tiny_model
from tests.reference_model import ReferenceModel


def test_second_turn_prefills_only_new_tokens_and_matches_a_fresh_run(tmp_path):
    model = tiny_model(tmp_path, "qwen3")
    session = Session(model, context=96)
    first = session.chat_tokens([{"role": "user", "content": "Name three colors."}])
    reply = session.generate(first, Sampling(), max_tokens=6)
    assert reply.prompt_tokens == len(first) and 1 <= reply.completion_tokens <= 6
    history = [
        {"role": "user", "content": "Name three colors."},
        {"role": "assistant", "content": reply.text},
        {"role": "user", "content": "red"},
    ]
    second = session.chat_tokens(history)
    calls = []
    original = session.runner.prefill
    session.runner.prefill = lambda tokens, sampling: calls.append(len(tokens)) or original(tokens, sampling)
    again = session.generate(second, Sampling(), max_tokens=6)
    assert calls and calls[0] < len(second), "the second turn must reuse the cached prefix"
    fresh = Session(model, context=96)
    assert fresh.generate(second, Sampling(), max_tokens=6).text == again.text
    # and the reused cache holds what the reference computes for the whole conversation
    reference = ReferenceModel(model.config, model.tensor)
    expected = reference.forward(second)[-1]
    session.runner.rewind(len(second) - 1)
    session.runner.prefill(second[-1:], Sampling())
    gpu = session.host.read_logits()
    assert np.abs(gpu - expected).max() < 1e-3 * np.abs(expected).max()


def test_context_full_finishes_with_length(tmp_path):
    model = tiny_model(tmp_path, "llama")
    session = Session(model, context=24)
    result = session.generate(list(range(5, 25)), Sampling(), max_tokens=100)
    eos_hit = result.finish_reason == "stop"
    assert result.finish_reason == "length" or eos_hit
    assert result.completion_tokens <= 4 + 1 and session.runner.pos <= 24


def test_stream_decoder_never_splits_characters_and_cuts_stop_strings():
    from tokenizers import decoders, models, pre_tokenizers

    byte_level = pre_tokenizers.ByteLevel.alphabet()
    vocab = {c: i for i, c in enumerate(sorted(byte_level))}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    ids = tokenizer.encode("héllo 🔥 END tail").ids  # one token per byte: é and 🔥 span several
    decoder = StreamDecoder(tokenizer, stop=["END"])
    pieces = [decoder.add(i) for i in ids]
    assert all("\ufffd" not in p for p in pieces)
    assert "".join(pieces) + decoder.flush() == "héllo 🔥 "
    assert decoder.stopped


def test_a_seed_repeats_its_text_on_every_request_of_one_session(tmp_path):
    session = Session(tiny_model(tmp_path, "llama"), context=96)
    prompt = session.chat_tokens([{"role": "user", "content": "Say something."}])
    seeded = Sampling(temperature=1.0, top_p=0.95, seed=7)
    first = session.generate(prompt, seeded, max_tokens=8).text
    second = session.generate(prompt, seeded, max_tokens=8).text
    other = session.generate(prompt, Sampling(temperature=1.0, top_p=0.95, seed=8), max_tokens=8).text
    assert first == second
    assert other != first
