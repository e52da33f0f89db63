"""A scripted stand-in for the language model: counts words as tokens, records every prompt, and
answers from a script (a function of the prompt), streaming its answer word by word and cutting it
at max_tokens words as a real model stops at its limit."""

import re
from dataclasses import dataclass, field

from desktop.assistant.chat_model import check_cancel

TOKEN = re.compile(r"\w+|[^\w\s]")


def count_text(text: str) -> int:
    return len(TOKEN.findall(text))


@dataclass
class Call:
    messages: list[dict]
    max_tokens: int
    streamed: bool

    @property
    def user(self) -> str:
        return self.messages[-1]["content"]

    @property
    def system(self) -> str:
        return self.messages[0]["content"]


@dataclass
class FakeModel:
    script: callable  # Call → answer text
    context: int = 2048
    calls: list[Call] = field(default_factory=list)
    events: list = field(default_factory=list)  # ("call", stage) and whatever the test appends

    def count(self, messages: list[dict]) -> int:
        return sum(4 + count_text(m["content"]) for m in messages) + 1

    def generate(self, messages, max_tokens, on_text=None, cancel=None) -> str:
        check_cancel(cancel)
        assert self.count(messages) + max_tokens <= self.context, "the prompt overflows the context"
        call = Call(messages, max_tokens, on_text is not None)
        self.calls.append(call)
        self.events.append(("call", len(self.calls)))
        pieces = re.findall(r"\S+\s*", self.script(call))[:max_tokens]  # a word is a token here
        text = "".join(pieces).strip()
        for piece in pieces:
            check_cancel(cancel)
            if on_text is not None:
                on_text(piece)
        return text
