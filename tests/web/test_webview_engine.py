"""The webview host (engine/web) runs the same plans and kernels as the native host, in headless
Chromium's WebGPU (SwiftShader): logits match the numpy reference, greedy tokens match the native
host, the KV cache is reused across turns, and the OpenAI-shaped API streams the native text."""

import numpy as np
import pytest

from desktop.importers.default_model import DEFAULT_MODEL_ID, ensure_model
from desktop.importers.hf_import import import_hf_folder
from desktop.server import engine_api
from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore
from engine.plan import plan_for
from engine.plan.adapter import traits_of
from tests.reference_model import ReferenceModel
from tests.tiny_hf_models import write_model

TINY_ID = "tiny-llama"
TINY_CONTEXT = 128
GREEDY_TOKENS = 16

LOAD_HOST = """
async function loadHost(id, context) {
  const { PlanHost, probeAdapter } = await import('/engine/host.js');
  const { adapter, traits } = await probeAdapter();
  const query = `model=${id}&context=${context}&adapter=${encodeURIComponent(JSON.stringify(traits))}`;
  const plan = await (await fetch(`/api/engine/plan?${query}`)).json();
  const progress = [];
  const onProgress = (p) => progress.push(p);
  const host = await PlanHost.load(plan, { adapter, modelUrl: `/models/${id}`, onProgress });
  return { host, load: progress[progress.length - 1] };
}
"""

# Two turns on token ids: the second prompt extends the first turn's prompt and reply, so the host
# must prefill only its new tokens. Every sampling step's logits are read back.
GREEDY_TURNS = """
  const { id, context, prompt, extra, maxTokens } = arg;
  const { ChatSession } = await import('/engine/session.js');
  const { host } = await loadHost(id, context);
  const steps = [];
  const run = host.runStep.bind(host);
  host.runStep = async (program, step, tokens) => {
    const token = await run(program, step, tokens);
    if (program !== 'prefill') steps.push({ token, logits: Array.from(await host.logits()) });
    return token;
  };
  const oneCharPerToken = { decode: (ids) => ids.map((i) => String.fromCodePoint(0x4e00 + i)).join('') };
  const session = new ChatSession(host, oneCharPerToken);
  const turns = [];
  let next = prompt;
  for (let turn = 0; turn < 2; turn++) {
    steps.length = 0;
    const generation = session.generate(next, { temperature: 0, maxTokens });
    let text = '', r;
    while (!(r = await generation.next()).done) text += r.value;
    const tokens = [...text].map((c) => c.codePointAt(0) - 0x4e00);
    turns.push({ prompt: next, tokens, steps: steps.slice(), result: r.value });
    next = [...next, ...tokens, ...extra];
  }
  host.destroy();
  return turns;
"""


def in_page(page, body: str, arg):
    """Runs `body` (which sees `arg` and the loadHost helper) as an async function in the page."""
    return page.evaluate(f"async (arg) => {{ {LOAD_HOST} {body} }}", arg)


@pytest.fixture(scope="module")
def engine_store(tmp_path_factory) -> ModelStore:
    store = ModelStore(tmp_path_factory.mktemp("engine-store"))
    ensure_model(store, DEFAULT_MODEL_ID, progress=False)
    folder = tmp_path_factory.mktemp("tiny-llama-hf")
    write_model(folder, "llama", seed=3)
    import_hf_folder(store, folder, model_id=TINY_ID, progress=False)
    return store


@pytest.fixture(scope="module")
def engine_server(engine_store):
    server = LocalServer(engine_store)
    engine_api.register(server)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def engine_page(browser_context, engine_server):
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(engine_server.url("/ui/index.html"))
    yield tab
    tab.close()
    assert not errors, f"page errors: {errors}"


def relative_error(got, expected) -> float:
    got, expected = np.asarray(got, np.float32), np.asarray(expected, np.float32)
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def native_greedy(store: ModelStore, model_id: str, prompts: list[list[int]], max_tokens: int) -> list:
    """Greedy tokens of the native host over the same turns, reusing its KV cache the same way."""
    from engine.native.gpu import adapter
    from engine.native.host import Host
    from engine.runner import ModelRunner, Sampling

    model = store.open_model(model_id)
    host = Host(plan_for(model, TINY_CONTEXT, traits_of(adapter())), model.folder)
    runner, greedy, cached, out = ModelRunner(host), Sampling(temperature=0.0), [], []
    for prompt in prompts:
        same = [a == b for a, b in zip(cached, prompt, strict=False)] + [False]
        keep = min(same.index(False), len(prompt) - 1)
        runner.rewind(keep)
        tokens = [runner.prefill(prompt[keep:], greedy)]
        cached = list(prompt)
        while len(tokens) < max_tokens:
            cached.append(tokens[-1])
            tokens.append(runner.decode(tokens[-1], greedy))
        out.append(tokens)
    return out


def test_tiny_model_logits_match_reference_and_native_greedy_tokens(engine_page, engine_store):
    rng = np.random.default_rng(7)
    prompt = [int(t) for t in rng.integers(3, 320, size=40)]  # longer than one 32-row prefill chunk
    extra = [int(t) for t in rng.integers(3, 320, size=7)]
    turns = in_page(
        engine_page, GREEDY_TURNS, {"id": TINY_ID, "context": TINY_CONTEXT, "prompt": prompt, "extra": extra,
                       "maxTokens": GREEDY_TOKENS},
    )
    model = engine_store.open_model(TINY_ID)
    reference = ReferenceModel(model.config, model.tensor)
    for turn in turns:
        assert len(turn["tokens"]) == GREEDY_TOKENS and turn["result"]["finishReason"] == "length"
        assert [s["token"] for s in turn["steps"]] == turn["tokens"]
        reference.reset()
        expected = reference.forward(turn["prompt"])[-1]
        for step, fed in zip(turn["steps"], [None, *turn["tokens"][:-1]], strict=True):
            if fed is not None:
                expected = reference.forward([fed])[-1]
            assert relative_error(step["logits"], expected) < 1e-3
            # greedy: the chosen token is the reference's best, up to a near-tie
            assert expected[step["token"]] >= expected.max() - 1e-4 * np.abs(expected).max()
    first, second = turns
    assert second["result"]["prefilledTokens"] == len(second["prompt"]) - (len(prompt) + GREEDY_TOKENS - 1)
    assert first["result"]["prefilledTokens"] == len(prompt)
    native = native_greedy(engine_store, TINY_ID, [t["prompt"] for t in turns], GREEDY_TOKENS)
    assert [t["tokens"] for t in turns] == native
