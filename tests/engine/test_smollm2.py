"""The real default model end to end (kept short: lavapipe runs SmolLM2 at a few tokens/s):
logits vs the numpy reference over two prefill chunks, greedy decode steps, a second turn on
the reused cache, and `hearth chat` naming colors."""

import json
import os
import subprocess
import sys

import numpy as np

from engine.native.host import Host
from engine.plan import compile_plan
from engine.plan.adapter import traits_for
from engine.runner import ModelRunner, Sampling
from tests.engine.smollm2 import smollm2_store  # noqa: F401 - fixture
from tests.engine.tiny_store import clear_margin, relative_errors
from tests.reference_model import ReferenceModel

COLORS = {
    "red",
    "blue",
    "green",
    "yellow",
    "orange",
    "purple",
    "pink",
    "black",
    "white",
    "brown",
    "gray",
    "grey",
    "violet",
    "indigo",
    "cyan",
    "magenta",
}


def test_smollm2_matches_reference(smollm2_store):  # noqa: F811
    model = smollm2_store.open_model("smollm2-135m-instruct")
    plan = compile_plan(model.manifest, 128, traits_for("cpu"), chunk=8)
    runner = ModelRunner(Host(plan, model.folder))
    reference = ReferenceModel(model.config, model.tensor)
    rng = np.random.default_rng(7)
    prompt = [int(t) for t in rng.integers(100, 40000, 10)]  # two chunks of 8
    token = runner.prefill(prompt, Sampling())
    expected = reference.forward(prompt)[-1]
    assert relative_errors(runner.host.read_logits(), expected).max() < 1e-3
    if clear_margin(expected, 1e-2):
        assert token == int(np.argmax(expected))
    for _ in range(2):
        token = int(np.argmax(expected))
        engine_next = runner.decode(token, Sampling())
        expected = reference.forward([token])[0]
        assert relative_errors(runner.host.read_logits(), expected).max() < 1e-3
        if clear_margin(expected, 1e-2):
            assert engine_next == int(np.argmax(expected))
    second = [int(t) for t in rng.integers(100, 40000, 2)]
    runner.prefill(second, Sampling())
    expected = reference.forward(second)[-1]
    assert runner.pos == reference.length == 14
    assert relative_errors(runner.host.read_logits(), expected).max() < 1e-3


def test_hearth_chat_names_colors(smollm2_store):  # noqa: F811
    # a HEARTH_HOME that already holds the imported default model (the import has its own tests)
    env = {**os.environ, "HEARTH_HOME": str(smollm2_store.root)}
    cmd = [
        sys.executable,
        "-m",
        "desktop.cli.main",
        "chat",
        "--prompt",
        "Name three colors.",
        "--temperature",
        "0",
        "--max-tokens",
        "24",
        "--json",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    words = {w.strip(".,:;!*-").lower() for w in answer["text"].split()}
    assert len(words & COLORS) >= 2, answer["text"]
    assert answer["finish_reason"] in ("stop", "length")
    assert answer["usage"]["completion_tokens"] >= 2 and answer["usage"]["prompt_tokens"] > 10
    assert set(answer["timings"]) == {"load_seconds", "prefill_tokens_per_second", "decode_tokens_per_second"}
