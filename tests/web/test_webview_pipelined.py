"""Pipelined decode in the webview host (engine/web/session.js): with one decode step queued ahead of
the token being read, ChatSession must give exactly the tokens, finish reasons and cached prefix of
the one-step-at-a-time path ({pipelined: false}), for greedy and seeded sampling with penalties,
stopping at EOS, a stop string, max_tokens, the context's end and an interrupt, over two turns that
reuse the KV cache. It must also really pipeline: a step is queued when a token is read, and the
step queued behind the last token is discarded (no token left unread)."""

import numpy as np
import pytest

from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore
from engine.plan import compile_plan
from engine.plan.adapter import traits_for
from tests.engine.tiny_store import tiny_model

CONTEXT = 96  # two turns of prompt, reply and extra fit
PROMPT_TOKENS = 40  # more than SwiftShader's 32-row prefill chunk
MAX_TOKENS = 12
EXTRA_TOKENS = 5
SEEDED = {"temperature": 0.9, "topP": 0.95, "topK": 40, "repetitionPenalty": 1.3, "frequencyPenalty": 0.4,
          "presencePenalty": 0.2, "seed": 77}

# window.pipe.run(pipelined, prompt, options, extra): two turns on one ChatSession (the second prompt
# is the first prompt, its reply and `extra`; no second turn when extra is null); per turn the reply's
# token ids, the result, the host's pending reads at every readToken call, the steps submitted and
# what is left unread at the end.
SETUP = """
async ({ plan }) => {
  const { PlanHost } = await import('/engine/host.js');
  const { ChatSession } = await import('/engine/session.js');
  const host = await PlanHost.load(plan, { modelUrl: '/models/tiny' });
  const oneCharPerToken = { decode: (ids) => ids.map((i) => String.fromCodePoint(0x4e00 + i)).join('') };
  const defaults = { plain: new ChatSession(host, oneCharPerToken).pipelined };
  let reads = [], submitted = 0;
  const read = host.readToken.bind(host), submit = host.submitStep.bind(host);
  host.readToken = () => { reads.push(host.pendingReads); return read(); };
  host.submitStep = (...args) => { submitted += 1; return submit(...args); };
  const turn = async (session, prompt, options, interruptAfter) => {
    reads = []; submitted = 0;
    const signal = { aborted: false };
    const generation = session.generate(prompt, { ...options, signal });
    let text = '', pieces = 0, r;
    while (!(r = await generation.next()).done) {
      text += r.value;
      if (++pieces === interruptAfter) signal.aborted = true;
    }
    const { prefillSeconds, decodeSeconds, ...result } = r.value;
    const tokens = [...text].map((c) => c.codePointAt(0) - 0x4e00);
    return { tokens, result, reads, submitted, unread: host.pendingReads, cached: session.cached.slice() };
  };
  const run = async (pipelined, prompt, options, extra, interruptAfter = 0) => {
    const session = new ChatSession(host, oneCharPerToken, { pipelined });
    const first = await turn(session, prompt, options, interruptAfter);
    if (extra === null) return [first];
    const second = await turn(session, [...prompt, ...first.tokens, ...extra], options, interruptAfter);
    return [first, second];
  };
  window.pipe = { run, defaults };
}
"""


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("tiny-llama-pipelined"), "llama")


@pytest.fixture(scope="module")
def pipe_page(browser_context, tiny_llama):
    server = LocalServer(ModelStore(tiny_llama.folder.parent.parent)).start()
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(server.url("/ui/index.html"))
    plan = compile_plan(tiny_llama.manifest, CONTEXT, traits_for("cpu"), read_tensor=tiny_llama.tensor)
    tab.evaluate(SETUP, {"plan": plan})
    yield tab
    tab.close()
    server.stop()
    assert not errors, f"page errors: {errors}"


def both_paths(page, prompt, options, extra, interrupt_after=0):
    """(pipelined turns, one-step-at-a-time turns) after checking they produced the same thing."""
    args = [prompt, options, extra, interrupt_after]
    fast = page.evaluate("(a) => window.pipe.run(true, ...a)", args)
    slow = page.evaluate("(a) => window.pipe.run(false, ...a)", args)
    for f, s in zip(fast, slow, strict=True):
        assert f["tokens"] == s["tokens"] and f["result"] == s["result"] and f["cached"] == s["cached"]
        assert f["unread"] == s["unread"] == 0
        assert set(s["reads"]) <= {1}, "the synchronous path read with more than its own step in flight"
    return fast, slow


@pytest.fixture(scope="module")
def prompt(tiny_llama):
    rng = np.random.default_rng(5)
    vocab = tiny_llama.config["vocab_size"]
    draw = lambda n: [int(t) for t in rng.integers(3, vocab, n)]  # noqa: E731
    return draw(PROMPT_TOKENS), draw(EXTRA_TOKENS)


def test_sessions_are_pipelined_by_default(pipe_page):
    assert pipe_page.evaluate("() => window.pipe.defaults") == {"plain": True}


@pytest.mark.parametrize("sampling", [{"temperature": 0}, SEEDED], ids=["greedy", "seeded-penalties"])
def test_max_tokens_same_tokens_with_a_step_queued_at_every_read(pipe_page, prompt, sampling):
    fast, slow = both_paths(pipe_page, prompt[0], {**sampling, "maxTokens": MAX_TOKENS}, prompt[1])
    for f in fast:
        assert f["result"]["finishReason"] == "length" and f["result"]["completionTokens"] == MAX_TOKENS
        # every read but the last has the next step queued behind it (2 pending); none runs past max_tokens
        assert f["reads"] == [2] * (MAX_TOKENS - 1) + [1]
    assert fast[1]["result"]["prefilledTokens"] == 1 + EXTRA_TOKENS  # the reply's last token and extra
    assert [f["submitted"] for f in fast] == [s["submitted"] for s in slow]
    if sampling is SEEDED:
        assert len(set(fast[0]["tokens"])) > 1


@pytest.mark.parametrize("sampling", [{"temperature": 0}, SEEDED], ids=["greedy", "seeded-penalties"])
def test_eos_and_stop_string_discard_the_queued_step(pipe_page, prompt, sampling):
    options = {**sampling, "maxTokens": MAX_TOKENS}
    reply = pipe_page.evaluate("(a) => window.pipe.run(false, ...a)", [prompt[0], options, prompt[1]])[0]["tokens"]
    eos_at = 5
    eos = reply[eos_at]
    fast, slow = both_paths(pipe_page, prompt[0], {**options, "stopTokenIds": [eos]}, prompt[1])
    first = fast[0]
    assert first["result"]["finishReason"] == "stop" and first["tokens"] == reply[: reply.index(eos)]
    # the step fed the EOS token was queued, then discarded
    assert first["submitted"] == slow[0]["submitted"] + 1 and first["reads"][-1] == 2

    text = "".join(chr(0x4E00 + t) for t in reply)  # one character per token
    stop = text[3:5]
    fast, slow = both_paths(pipe_page, prompt[0], {**options, "stop": [stop]}, prompt[1])
    assert fast[0]["result"]["finishReason"] == "stop" and fast[0]["tokens"] == reply[: text.index(stop)]


def test_context_end_and_interrupt(pipe_page, prompt):
    near_end = (prompt[0] * 3)[: CONTEXT - 6]  # 6 positions left
    fast, _ = both_paths(pipe_page, near_end, {**SEEDED, "maxTokens": 100}, None)
    assert fast[0]["result"]["finishReason"] == "length"
    assert fast[0]["result"]["completionTokens"] == CONTEXT - len(near_end) + 1  # the last token is not fed

    fast, slow = both_paths(pipe_page, prompt[0], {**SEEDED, "maxTokens": MAX_TOKENS}, prompt[1], interrupt_after=3)
    assert fast[0]["result"]["finishReason"] == "abort" and fast[0]["result"]["completionTokens"] == 3
