"""What the assistant needs from a language model, and that interface on the native session.

`ChatModel`: `context` (tokens the model can see), `count(messages)` (prompt tokens, chat template
included) and `generate(messages, max_tokens, on_text, cancel)` → the text. Cancel is checked between
prefill chunks and streamed pieces; the session's KV cache stays consistent when a stream is closed early.
"""

import threading
from collections.abc import Callable
from typing import Protocol

from desktop.assistant.errors import Cancelled

TextSink = Callable[[str], None]


class ChatModel(Protocol):
    context: int

    def count(self, messages: list[dict]) -> int: ...

    def generate(
        self,
        messages: list[dict],
        max_tokens: int,
        on_text: TextSink | None = None,
        cancel: threading.Event | None = None,
    ) -> str: ...


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


class SessionChatModel:
    """A ChatModel on engine.session.Session. `last` holds the latest request's usage and timings."""

    def __init__(self, session, sampling=None):
        from engine.runner import Sampling

        self.session = session
        self.sampling = sampling or Sampling()  # greedy: answers about documents should not wander
        self.context = session.plan["context"]
        self.last = None

    def count(self, messages: list[dict]) -> int:
        return len(self.session.chat_tokens(messages))

    def generate(
        self,
        messages: list[dict],
        max_tokens: int,
        on_text: TextSink | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        from engine.session import Result

        check_cancel(cancel)
        prompt = self.session.chat_tokens(messages)
        result = Result(prompt_tokens=len(prompt))
        pieces = []
        # a long prompt (a whole document) takes seconds to prefill: cancel is checked between its chunks too
        stream = self.session.stream(
            prompt, self.sampling, max_tokens, None, result, on_prefill_chunk=lambda _tokens: check_cancel(cancel)
        )
        try:
            for piece in stream:
                check_cancel(cancel)
                pieces.append(piece)
                if on_text is not None:
                    on_text(piece)
        finally:
            stream.close()
        result.text = "".join(pieces)
        self.last = result
        return result.text
