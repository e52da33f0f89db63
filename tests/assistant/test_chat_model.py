"""SessionChatModel on a stub session: counts with the chat template, streams, and on cancel stops
pulling tokens and closes the session's stream (so the session's cache bookkeeping runs its cleanup)."""

import threading

import pytest

from desktop.assistant.chat_model import SessionChatModel
from desktop.assistant.errors import Cancelled


class StubSession:
    def __init__(self, pieces):
        self.plan = {"context": 512}
        self.pieces = pieces
        self.pulled = 0
        self.closed = False

    def chat_tokens(self, messages):
        return [ord(c) for m in messages for c in m["content"]] + [0, 0]  # two template tokens

    def stream(self, prompt, sampling, max_tokens, stop, result, on_prefill_chunk=None):
        try:
            if on_prefill_chunk is not None:
                on_prefill_chunk(prompt)
            for piece in self.pieces[:max_tokens]:
                self.pulled += 1
                yield piece
            result.completion_tokens = min(max_tokens, len(self.pieces))
        finally:
            self.closed = True


def test_counts_streams_and_records_usage():
    session = StubSession(["Or", "la", " Vance", " [1]."])
    model = SessionChatModel(session)
    messages = [{"role": "user", "content": "abc"}]
    assert model.context == 512 and model.count(messages) == 5
    streamed = []
    assert model.generate(messages, 3, streamed.append) == "Orla Vance"
    assert streamed == ["Or", "la", " Vance"] and session.closed
    assert model.last.prompt_tokens == 5 and model.last.completion_tokens == 3


def test_cancel_stops_pulling_tokens_and_closes_the_stream():
    session = StubSession([f"w{i} " for i in range(100)])
    cancel = threading.Event()
    streamed = []

    def on_text(piece):
        streamed.append(piece)
        if len(streamed) == 4:
            cancel.set()

    with pytest.raises(Cancelled):
        SessionChatModel(session).generate([{"role": "user", "content": "x"}], 100, on_text, cancel)
    assert len(streamed) == 4 and session.pulled == 5 and session.closed
    cancel_first = threading.Event()
    cancel_first.set()
    fresh = StubSession(["never"])
    with pytest.raises(Cancelled):
        SessionChatModel(fresh).generate([{"role": "user", "content": "x"}], 10, None, cancel_first)
    assert fresh.pulled == 0


def test_cancel_during_prefill_stops_between_chunks_and_keeps_the_cache_usable(tmp_path):
    """A real session on a tiny model: a prompt of several prefill chunks is cancelled after the
    first chunk; no further chunk runs, and the next request answers as a fresh session would."""
    from engine.runner import Sampling
    from engine.session import Session
    from tests.engine.tiny_store import tiny_model

    model = tiny_model(tmp_path, "llama")
    session = Session(model, context=160)
    chunk = session.plan["chunk"]
    messages = [{"role": "user", "content": " ".join(f"word{i}" for i in range(15))}]
    chat = SessionChatModel(session, Sampling())
    assert chat.count(messages) > 2 * chunk, "the prompt must span several prefill chunks"
    cancel, programs = threading.Event(), []
    run = session.host.run

    def counting_run(program, **options):
        programs.append(program)
        if program == "prefill":
            cancel.set()  # as if the user pressed Stop while the first chunk ran
        return run(program, **options)

    session.host.run = counting_run
    with pytest.raises(Cancelled):
        chat.generate(messages, 4, None, cancel)
    assert programs == ["prefill"], "cancel must stop before the next prefill chunk"
    session.host.run = run
    again = chat.generate(messages, 4)
    fresh = SessionChatModel(Session(model, context=160), Sampling()).generate(messages, 4)
    assert again == fresh
