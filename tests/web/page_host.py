"""Drives the webview host (engine/web) step by step from Python, so a test can compare every
step with tests/reference_model.py and choose the next input token itself (teacher forcing).

The page keeps one PlanHost and one ChatSession in `window.hearthTiny`. Prompts go through
ChatSession.generate (its chunking and KV-cache reuse are under test); decode steps that feed a
chosen token go straight to PlanHost.runStep, the way the session runs them. Every step's logits
are read back: all rows of a prefill chunk (the plan must be compiled with all_logits=True) or the
one row of a decode step.
"""

import numpy as np

SETUP = """
async ({ plan, modelUrl }) => {
  const { PlanHost } = await import('/engine/host.js');
  const { ChatSession, samplingFields } = await import('/engine/session.js');
  const host = await PlanHost.load(plan, { modelUrl });
  const steps = [];
  const run = host.runStep.bind(host);
  host.runStep = async (program, step, tokens) => {
    const token = await run(program, step, tokens);
    const n = tokens.length;
    // prefill and prefill_last write every row to logits_all; decode writes its row to logits
    const rows = program === 'decode'
      ? await host.logits()
      : new Float32Array(await host.readBuffer('logits_all'), 0, n * plan.vocab_size);
    steps.push({ program, n, token, logits: Array.from(rows) });
    return token;
  };
  const oneCharPerToken = { decode: (ids) => ids.map((i) => String.fromCodePoint(0x4e00 + i)).join('') };
  const session = new ChatSession(host, oneCharPerToken, { pipelined: false });
  const greedy = samplingFields({ temperature: 0, seed: 1 }, plan.vocab_size);
  const taken = () => steps.splice(0, steps.length);

  // Prefills what the session has not cached of `conversation` and samples one token.
  const turn = async (conversation) => {
    taken();
    const generation = session.generate(conversation, { temperature: 0, seed: 1, maxTokens: 1 });
    let r;
    while (!(r = await generation.next()).done);
    return { result: r.value, steps: taken(), cached: session.cached.slice() };
  };
  // Feeds each of `tokens` at the next position (one decode step each), whatever the engine
  // sampled, and returns the steps.
  const decode = async (tokens) => {
    taken();
    for (const token of tokens) {
      const pos = session.cached.length;
      if (pos >= plan.context) throw new Error('the test ran past the context');
      const step = { ...greedy, pos, n_tokens: 1, kv_len: pos + 1, history_len: pos + 1 };
      host.writeHistory([token], pos);
      await host.runStep('decode', step, [token]);
      session.cached.push(token);
    }
    return taken();
  };
  window.hearthTiny = { host, turn, decode };
}
"""


class PageHost:
    """The page's host as seen from Python; logits come back as float32 arrays [rows, vocab]."""

    def __init__(self, page, plan: dict, model_url: str):
        self.page = page
        self.vocab = plan["vocab_size"]
        page.evaluate(SETUP, {"plan": plan, "modelUrl": model_url})

    def _rows(self, step: dict) -> np.ndarray:
        return np.asarray(step["logits"], np.float32).reshape(step["n"], self.vocab)

    def turn(self, conversation: list[int]) -> dict:
        """Runs a turn's prefill; returns the session's result, the steps' programs and row
        counts, every prefilled position's logits, the sampled token and the cached ids."""
        out = self.page.evaluate("(c) => window.hearthTiny.turn(c)", conversation)
        steps = out["steps"]
        return {
            "result": out["result"],
            "programs": [(s["program"], s["n"]) for s in steps],
            "logits": np.concatenate([self._rows(s) for s in steps]),
            "sampled": steps[-1]["token"],
            "cached": out["cached"],
        }

    def decode(self, tokens: list[int]) -> tuple[list[int], np.ndarray]:
        """Feeds `tokens` one decode step each; returns the engine's greedy choice at every step
        and the steps' logits [len(tokens), vocab]."""
        steps = self.page.evaluate("(t) => window.hearthTiny.decode(t)", tokens)
        return [s["token"] for s in steps], np.stack([self._rows(s)[0] for s in steps])

    def destroy(self) -> None:
        self.page.evaluate("() => window.hearthTiny.host.destroy()")
