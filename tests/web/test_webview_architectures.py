"""The webview host (engine/web in headless Chromium on SwiftShader) against the numpy reference
on tiny random models of every architecture, as tests/engine/test_tiny_models.py does for the
native host: logits at every position of a prompt longer than one prefill chunk, 32 greedy tokens
(teacher-forced with the reference's token, so a near-tie cannot derail the rest), and a second
turn whose prompt extends the first and is prefilled on top of the reused KV cache.

The plan is the one the engine API would give this page's adapter (same traits, same chunk), with
the compiler's test-only all_logits option so prefill chunks expose every row's logits; PlanHost
loads any plan object, so no server route is needed for it.

WebGPU forbids a dispatch to bind one buffer twice where either binding is writable (Chrome refuses
the pass; native wgpu does not check): test_plans_never_bind_a_buffer_writably_twice checks every
architecture's plans for it."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from desktop.importers.hf_import import import_hf_folder
from desktop.server.engine_api import adapter_traits
from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore
from engine.kernels import source
from engine.plan import compile_plan
from engine.plan.adapter import traits_for
from tests.engine.tiny_store import clear_margin, relative_errors, tiny_model
from tests.reference_model import ReferenceModel
from tests.tiny_hf_models import write_model
from tests.web.page_host import PageHost

CONTEXT = 128
PROMPT_TOKENS = 40  # more than SwiftShader's 32-row prefill chunk and than Gemma's 16-token window
GREEDY_STEPS = 32
SECOND_TURN_TOKENS = 9
SECOND_TURN_STEPS = 6
TOLERANCE = 1e-3
GEMMA_SOFTCAP = 0.4  # the tiny model's logits reach about 0.5: tanh is far from linear there

PROBE = """async () => {
  const { probeAdapter } = await import('/engine/host.js');
  return (await probeAdapter()).traits;
}"""


def gemma_with_global_layer_and_softcap(root: Path):
    """tiny_store's Gemma 3 (two sliding layers, no softcap) with its second layer made global (its
    own RoPE base, no window) and a final logit softcap: every Gemma feature in two layers."""
    write_model(root / "hf", "gemma3")
    config_path = root / "hf" / "config.json"
    config = json.loads(config_path.read_text())
    config.update(layer_types=["sliding_attention", "full_attention"], final_logit_softcapping=GEMMA_SOFTCAP)
    config_path.write_text(json.dumps(config))
    store = ModelStore(root / "home")
    import_hf_folder(store, root / "hf", model_id="tiny", progress=False)
    model = store.open_model("tiny")
    assert model.config["layer_types"] == ["sliding", "full"]
    assert model.config["final_logit_softcap"] == GEMMA_SOFTCAP and model.config["qk_norm"]
    return model


def tiny_stored(root: Path, architecture: str):
    """The tiny model of `architecture` in a store at root / "home" (tests/engine/tiny_store.py's)."""
    if architecture == "gemma3":
        return gemma_with_global_layer_and_softcap(root)
    model = tiny_model(root, architecture)
    assert model.config["attention_bias"] == (architecture == "qwen2")
    assert model.config["qk_norm"] == (architecture == "qwen3")
    return model


ARCHITECTURES = ["llama", "qwen2", "qwen3", "gemma3"]
WRITABLE = re.compile(r"@binding\((\d+)\)\s*var<storage,\s*read_write>")


def aliasing_bindings(plan: dict) -> list[tuple[str, str]]:
    """(dispatch label, buffer) for each dispatch binding one buffer range twice, once writably."""
    found = []
    for dispatches in plan["programs"].values():
        for d in dispatches:
            writable = {int(i) for i in WRITABLE.findall(source(plan["pipelines"][d["pipeline"]]["kernel"]))}
            ranges = {}
            for index, b in enumerate(d["bindings"]):
                if isinstance(b, str):
                    ranges.setdefault(b, []).append((0, plan["buffers"][b]["size"], index in writable))
                elif "buffer" in b:
                    ranges.setdefault(b["buffer"], []).append((b["offset"], b["offset"] + b["size"], index in writable))
            for name, spans in ranges.items():
                if any((w1 or w2) and a1 < b2 and a2 < b1
                       for i, (a1, b1, w1) in enumerate(spans) for a2, b2, w2 in spans[i + 1 :]):
                    found.append((d["label"], name))
    return found


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_plans_never_bind_a_buffer_writably_twice(tiny_models, architecture):
    model = tiny_models(architecture)
    for kind in ("cpu", "gpu"):
        plan = compile_plan(model.manifest, CONTEXT, traits_for(kind), read_tensor=model.tensor)
        assert not aliasing_bindings(plan), f"{kind} plan: (dispatch, buffer) bound twice, writably"


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """architecture → its tiny stored model, built once per module."""
    built = {}

    def get(architecture: str):
        if architecture not in built:
            built[architecture] = tiny_stored(tmp_path_factory.mktemp(f"tiny-{architecture}"), architecture)
        return built[architecture]

    return get


@pytest.fixture(params=ARCHITECTURES)
def tiny(request, tiny_models):
    """(architecture, stored model, a LocalServer serving its store)."""
    architecture = request.param
    model = tiny_models(architecture)
    server = LocalServer(ModelStore(model.folder.parent.parent)).start()
    yield architecture, model, server
    server.stop()


@pytest.fixture
def tiny_page(browser_context, tiny):
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(tiny[2].url("/ui/index.html"))
    yield tab
    tab.close()
    assert not errors, f"page errors: {errors}"


def check_prefill(turn: dict, reference: ReferenceModel, new_tokens: list[int]) -> np.ndarray:
    """Every prefilled position's logits against the reference; returns the last row's."""
    expected = reference.forward(new_tokens)
    errors = relative_errors(turn["logits"], expected)
    assert errors.max() < TOLERANCE, f"relative errors per position: {errors}"
    if clear_margin(expected[-1], TOLERANCE * 10):
        assert turn["sampled"] == int(np.argmax(expected[-1]))
    return expected[-1]


def greedy_steps(host: PageHost, reference: ReferenceModel, last_logits: np.ndarray, steps: int):
    """Decodes `steps` tokens, each step fed the reference's previous choice (teacher forcing, so the
    fed tokens are known before the page runs them); where that choice is clear the engine must
    make it too. Returns (clear steps, the tokens fed, the next token to feed)."""
    token, fed, expected = int(np.argmax(last_logits)), [], []
    for _ in range(steps):
        fed.append(token)
        expected.append(reference.forward([token])[0])
        token = int(np.argmax(expected[-1]))
    chosen, logits = host.decode(fed)
    errors = relative_errors(logits, np.stack(expected))
    assert errors.max() < TOLERANCE, f"decode relative errors per step: {errors}"
    clear = [clear_margin(e, TOLERANCE * 10) for e in expected]
    wrong = [(i, c, int(np.argmax(e))) for i, (c, e, ok) in enumerate(zip(chosen, expected, clear, strict=True))
             if ok and c != int(np.argmax(e))]
    assert not wrong, f"(step, engine's token, reference's token) where the reference's choice was clear: {wrong}"
    return sum(clear), fed, token


def test_webview_host_matches_reference(tiny_page, tiny):
    architecture, model, _ = tiny
    vocab = model.config["vocab_size"]
    plan = compile_plan(model.manifest, CONTEXT, adapter_traits(tiny_page.evaluate(PROBE)),
                        read_tensor=model.tensor, all_logits=True)
    assert not aliasing_bindings(plan)
    chunk = plan["chunk"]
    assert plan["adapter"]["kind"] == "cpu" and chunk < PROMPT_TOKENS
    host = PageHost(tiny_page, plan, "/models/tiny")
    reference = ReferenceModel(model.config, model.tensor)
    rng = np.random.default_rng(11)

    prompt = [int(t) for t in rng.integers(3, vocab, PROMPT_TOKENS)]
    first = host.turn(prompt)
    assert first["programs"] == [("prefill", chunk), ("prefill_last", PROMPT_TOKENS - chunk)]
    assert first["result"]["prefilledTokens"] == PROMPT_TOKENS
    last = check_prefill(first, reference, prompt)
    clear, fed, token = greedy_steps(host, reference, last, GREEDY_STEPS)
    assert clear >= 24, f"{architecture}: only {clear} of {GREEDY_STEPS} greedy steps had a clear choice"

    # Second turn: the conversation so far, the reference's pending token and new user tokens;
    # the session must find the cached prefix and prefill only the rest.
    new = [token] + [int(t) for t in rng.integers(3, vocab, SECOND_TURN_TOKENS)]
    conversation = prompt + fed + new
    second = host.turn(conversation)
    assert second["cached"] == conversation and second["result"]["prefilledTokens"] == len(new)
    assert second["programs"] == [("prefill_last", len(new))]
    last = check_prefill(second, reference, new)
    greedy_steps(host, reference, last, SECOND_TURN_STEPS)
    assert reference.length == len(conversation) + SECOND_TURN_STEPS < CONTEXT
    host.destroy()
