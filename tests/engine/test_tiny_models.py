"""The GPU engine against the numpy reference on tiny random models of every architecture:
logits at every position of a prompt longer than one prefill chunk, greedy decoding for 32
tokens, and a second turn that reuses the KV cache."""

import numpy as np
import pytest

from engine.runner import Sampling
from tests.engine.tiny_store import (
    CHUNK,
    chunk_logits,
    clear_margin,
    relative_errors,
    tiny_model,
    tiny_runner,
)
from tests.reference_model import ReferenceModel

GREEDY = Sampling()
TOLERANCE = 1e-3


def prefill_and_compare(runner, reference, tokens):
    """Prefills chunk by chunk and checks every position's logits; returns the sampled token."""
    sampled = None
    for start in range(0, len(tokens), CHUNK):
        piece = tokens[start : start + CHUNK]
        sampled = runner.prefill(piece, GREEDY)
        expected = reference.forward(piece)
        errors = relative_errors(chunk_logits(runner, len(piece)), expected)
        assert errors.max() < TOLERANCE, f"positions {start}+: relative errors {errors}"
        if clear_margin(expected[-1], TOLERANCE * 10):
            assert sampled == int(np.argmax(expected[-1]))
    return sampled, expected[-1]


def greedy_and_compare(runner, reference, token, steps):
    """Decodes `steps` tokens; where the reference's choice is clear the engine must agree, after a
    near-tie both continue with the reference's token."""
    agreed = 0
    for _ in range(steps):
        engine_next = runner.decode(token, GREEDY)
        expected = reference.forward([token])[0]
        assert relative_errors(runner.host.read_logits(), expected).max() < TOLERANCE
        reference_next = int(np.argmax(expected))
        if clear_margin(expected, TOLERANCE * 10):
            assert engine_next == reference_next
            agreed += 1
        token = reference_next
    return agreed, token


@pytest.mark.parametrize("architecture", ["llama", "qwen2", "qwen3", "gemma3"])
def test_engine_matches_reference(tmp_path, architecture):
    model = tiny_model(tmp_path, architecture)
    runner = tiny_runner(model)
    reference = ReferenceModel(model.config, model.tensor)
    prompt = [int(t) for t in np.random.default_rng(1).integers(3, model.config["vocab_size"], 13)]
    sampled, _ = prefill_and_compare(runner, reference, prompt)
    agreed, last = greedy_and_compare(runner, reference, sampled if sampled is not None else prompt[-1], 32)
    assert agreed >= 24, f"only {agreed} of 32 greedy steps had a clear reference choice"
    # Second turn: only the new tokens are prefilled, on top of the cached ones.
    position = runner.pos
    second = [last] + [int(t) for t in np.random.default_rng(2).integers(3, model.config["vocab_size"], 6)]
    prefill_and_compare(runner, reference, second)
    assert runner.pos == position + len(second) == reference.length


def test_unfused_projections_and_gpu_mapping_match(tmp_path):
    """A binding limit too small to fuse q/k/v or gate/up gives three (two) dispatches writing
    into the fused buffers via ROW_OFFSET; the GPU thread mapping must give the same logits."""
    model = tiny_model(tmp_path, "qwen2")
    runner = tiny_runner(model, kind="gpu", max_binding=3000)
    labels = [d["label"] for d in runner.plan["programs"]["decode"]]
    assert labels.count("blk.0.qkv") == 3 and labels.count("blk.0.gate_up") == 2
    reference = ReferenceModel(model.config, model.tensor)
    prompt = [int(t) for t in np.random.default_rng(3).integers(3, model.config["vocab_size"], 11)]
    sampled, _ = prefill_and_compare(runner, reference, prompt)
    greedy_and_compare(runner, reference, sampled, 4)
