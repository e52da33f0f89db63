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
  const session = new ChatSession(host, oneCharPerToken, { pipelined: false });
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


SMOLLM_CONTEXT = 256
COLORS = [{"role": "user", "content": "Name three colors."}]
GREEDY_CHAT = """
  const { createEngine } = await import('/engine/engine.js');
  const progress = [];
  const initProgressCallback = (p) => progress.push(p);
  const engine = await createEngine(arg.id, { contextSize: arg.context, initProgressCallback });
  const chunks = [];
  const request = { messages: arg.messages, temperature: 0, max_tokens: arg.maxTokens, stream: true };
  for await (const chunk of await engine.chat.completions.create(request)) chunks.push(chunk);
  engine.unload();
  return { chunks, load: progress.filter((p) => p.gbPerSecond).pop() };
"""
SEEDED_CHAT = """
  const { createEngine } = await import('/engine/engine.js');
  const engine = await createEngine(arg.id, { contextSize: arg.context });
  const ask = async (extra) => {
    const response = await engine.chat.completions.create({ ...arg.request, ...extra });
    return { ...response.choices[0], usage: response.usage };
  };
  const first = await ask({}), again = await ask({}), other = await ask({ seed: arg.request.seed + 1 });
  const cut = await ask({ stop: [first.message.content.slice(4, 6)] });
  const interrupted = [];
  for await (const chunk of await engine.chat.completions.create({ ...arg.request, stream: true })) {
    interrupted.push(chunk);
    engine.interruptGenerate();
  }
  engine.unload();
  return { first, again, other, cut, interrupted };
"""


def native_text(store: ModelStore, model_id: str, context: int, messages: list[dict], max_tokens: int,
                **sampling) -> str:
    from engine.runner import Sampling
    from engine.session import Session

    session = Session(store.open_model(model_id), context=context)
    return session.generate(session.chat_tokens(messages), Sampling(**sampling), max_tokens).text


def test_smollm2_streamed_chat_equals_the_native_host(engine_page, engine_store):
    max_tokens = 24
    got = in_page(engine_page, GREEDY_CHAT,
                  {"id": DEFAULT_MODEL_ID, "context": SMOLLM_CONTEXT, "messages": COLORS, "maxTokens": max_tokens})
    expected = native_text(engine_store, DEFAULT_MODEL_ID, SMOLLM_CONTEXT, COLORS, max_tokens, temperature=0.0)
    chunks = got["chunks"]
    assert expected and "".join(c["choices"][0]["delta"]["content"] for c in chunks) == expected
    assert all(c["choices"][0]["finish_reason"] is None and not c.get("usage") for c in chunks[:-1])
    last = chunks[-1]
    assert last["object"] == "chat.completion.chunk" and last["choices"][0]["finish_reason"] in ("stop", "length")
    usage = last["usage"]
    assert 0 < usage["completion_tokens"] <= max_tokens and usage["prompt_tokens"] > 10
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    print(f"SwiftShader: load {got['load']['gbPerSecond']:.2f} GB/s, "
          f"prefill {usage['extra']['prefill_tokens_per_s']:.2f} tok/s, "
          f"decode {usage['extra']['decode_tokens_per_s']:.2f} tok/s")


def test_seeded_sampling_repeats_and_matches_the_native_host(engine_page, engine_store):
    request = {"messages": COLORS, "temperature": 0.9, "top_p": 0.9, "seed": 1234, "max_tokens": 12}
    got = in_page(engine_page, SEEDED_CHAT, {"id": TINY_ID, "context": TINY_CONTEXT, "request": request})
    first = got["first"]["message"]["content"]
    assert len(first) > 6 and got["first"]["message"]["role"] == "assistant"
    assert got["first"]["finish_reason"] in ("stop", "length")
    assert got["again"]["usage"]["extra"]["prefilled_tokens"] == 1  # the same prompt again: cached but one
    assert got["again"]["message"]["content"] == first
    assert got["other"]["message"]["content"] != first
    assert first == native_text(engine_store, TINY_ID, TINY_CONTEXT, COLORS, 12, temperature=0.9, top_p=0.9,
                                seed=1234)
    stop = first[4:6]
    assert got["cut"]["message"]["content"] == first[: first.index(stop)]
    assert got["cut"]["finish_reason"] == "stop"
    interrupted = got["interrupted"]
    assert interrupted[-1]["choices"][0]["finish_reason"] == "abort"
    assert interrupted[-1]["usage"]["completion_tokens"] < got["first"]["usage"]["completion_tokens"]
    assert first.startswith("".join(c["choices"][0]["delta"]["content"] for c in interrupted))


STREAM_TEXT = """
  const { TextStreamer } = await import('/engine/text_stream.js');
  const { TextTokenizer } = await import('/engine/tokenizer.js');
  const tokenizer = await TextTokenizer.load(`/models/${arg.id}/tokenizer.json`);
  return arg.cases.map(({ text, stop }) => {
    const streamer = new TextStreamer(tokenizer, stop);
    const pieces = tokenizer.encode(text).map((id) => streamer.push(id));
    pieces.push(streamer.finish());
    return { pieces, stopped: streamer.stopped };
  });
"""


def test_streamed_text_never_splits_a_character_nor_shows_a_stop_string(engine_page):
    text = "Colors: rouge 赤 🟥, vert 緑 🟩 — and blue 👋🏽!"
    cases = [{"text": text, "stop": []}, {"text": text, "stop": ["vert 緑"]}, {"text": text, "stop": ["🟩 —"]}]
    plain, cut_ascii, cut_emoji = in_page(engine_page, STREAM_TEXT, {"id": DEFAULT_MODEL_ID, "cases": cases})
    assert "".join(plain["pieces"]) == text and not plain["stopped"]
    assert not any("\ufffd" in p for p in plain["pieces"])
    assert "" in plain["pieces"][:-1]  # some tokens end mid-character and wait for the next
    assert "".join(cut_ascii["pieces"]) == text[: text.index("vert 緑")] and cut_ascii["stopped"]
    assert "".join(cut_emoji["pieces"]) == text[: text.index("🟩 —")] and cut_emoji["stopped"]
    assert not any("\ufffd" in p for case in (cut_ascii, cut_emoji) for p in case["pieces"])


def test_engine_api_gives_model_facts_and_refuses_unknown_models(engine_server, engine_store):
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    def get(path: str):
        try:
            with urllib.request.urlopen(engine_server.url(path)) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    status, info = get(f"/api/engine/model?model={TINY_ID}")
    assert status == 200 and info["eos_token"] == "<|im_end|>"
    assert info["stop_token_ids"] == engine_store.manifest(TINY_ID)["special_tokens"]["eos"]
    assert "<|im_start|>" in info["chat_template"]
    swiftshader = {"vendor": "google", "architecture": "swiftshader", "max_binding": 1 << 30}
    adapter = urllib.parse.quote(json.dumps(swiftshader))
    status, plan = get(f"/api/engine/plan?model={TINY_ID}&context=64&adapter={adapter}")
    assert status == 200 and plan["context"] == 64 and plan["adapter"]["kind"] == "cpu"
    for path, expected in (("/api/engine/model?model=no-such-model", 404),
                           (f"/api/engine/plan?model={TINY_ID}&context=5", 400)):
        status, body = get(path)
        assert status == expected and body["error"].endswith(".")
