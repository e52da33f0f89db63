"""Pipelined decode (the step feeding token k is submitted before token k is read back) gives the
very tokens of one-step-at-a-time decoding, stopping at max_tokens and at EOS, and a step cancelled
after EOS leaves the cache and the penalties' history as if it had never run."""

import pytest

from engine.runner import Sampling
from engine.session import Session
from tests.engine.tiny_store import tiny_model

TURN = [{"role": "user", "content": "Say something."}]
SAMPLINGS = {
    "greedy": Sampling(),
    # penalties read the token history, which the cancelled step also appended to
    "seeded": Sampling(temperature=1.0, top_p=0.9, seed=11, repetition_penalty=1.3, presence_penalty=0.5),
}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("pipelined"), "llama")


def one_step_at_a_time(session: Session, prompt: list[int], sampling: Sampling, n: int) -> list[int]:
    """Tokens of the synced path: each decode step writes its input token and waits for its output."""
    runner = session.runner
    runner.rewind(0)
    runner.sample_index = 0
    tokens = [runner.prefill(prompt, sampling)]
    while len(tokens) < n:
        tokens.append(runner.decode(tokens[-1], sampling))
    session.cached = []  # the cache now holds this run, not what the session believes
    return tokens


def record_reads(session: Session) -> tuple[list[int], list[int]]:
    """Every token the session reads back, and how many steps were in flight at each read."""
    runner, tokens, in_flight = session.runner, [], []
    read = runner.next_token

    def recording() -> int:
        in_flight.append(runner.in_flight)
        tokens.append(read())
        return tokens[-1]

    runner.next_token = recording
    return tokens, in_flight


@pytest.mark.parametrize("name", SAMPLINGS)
def test_pipelined_tokens_equal_one_step_at_a_time(model, name):
    sampling = SAMPLINGS[name]
    session = Session(model, context=96)
    prompt = session.chat_tokens(TURN)
    expected = one_step_at_a_time(session, prompt, sampling, 12)
    session.eos = set()

    # stop at max_tokens: no step is wasted
    tokens, in_flight = record_reads(session)
    result = session.generate(prompt, sampling, max_tokens=7)
    assert tokens == expected[:7]
    assert result.finish_reason == "length" and result.completion_tokens == 7
    assert max(in_flight) == 2, "the next step must be queued before a token is read"
    assert session.runner.in_flight == 0 and session.runner.pos == len(prompt) + 6

    # stop at EOS: the step already queued behind the EOS token is cancelled
    k = next(i for i in range(2, 12) if expected[i] not in expected[:i])
    session.eos = {expected[k]}
    tokens, _ = record_reads(session)
    result = session.generate(prompt, sampling, max_tokens=20)
    assert tokens == expected[: k + 1]
    assert result.finish_reason == "stop" and result.completion_tokens == k
    assert session.cached == prompt + expected[:k]
    assert session.runner.pos == len(session.cached) and session.runner.in_flight == 0

    # the next turn reuses that cache: same text as a fresh session that never cancelled a step
    history = TURN + [
        {"role": "assistant", "content": session.tokenizer.decode(expected[:k])},
        {"role": "user", "content": "More."},
    ]
    follow_up = session.chat_tokens(history)
    again = session.generate(follow_up, sampling, max_tokens=6)
    assert again.cached_tokens > 0
    fresh = Session(model, context=96)
    fresh.eos = session.eos
    assert fresh.generate(follow_up, sampling, max_tokens=6).text == again.text


@pytest.mark.parametrize("name", SAMPLINGS)
def test_decode_run_gives_the_tokens_of_one_step_at_a_time(model, name):
    session = Session(model, context=96)
    prompt = session.chat_tokens(TURN)
    expected = one_step_at_a_time(session, prompt, SAMPLINGS[name], 10)
    runner = session.runner
    runner.rewind(0)
    runner.sample_index = 0
    first = runner.prefill(prompt, SAMPLINGS[name])
    assert [first, *runner.decode_run(first, 9, SAMPLINGS[name])] == expected
    assert runner.in_flight == 0 and runner.pos == len(prompt) + 9
