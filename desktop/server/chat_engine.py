"""The native host behind the chat API: one loaded engine.session.Session at a time, one
generation at a time, and fitting a conversation into the context by leaving out its oldest turns.

A session (engine/session.py) offers `chat_tokens(messages) -> [ids]`,
`stream(prompt, sampling, max_tokens, stop, result) -> iterator of text` and `runner.context`;
tests may pass a `session_factory(stored_model, context)` that builds a stand-in with that shape
(and takes `on_progress` too if it reports loading, as the default does).
"""

import inspect
import threading

from desktop.errors import EngineError, ModelNotFound
from desktop.importers.default_model import DEFAULT_MODEL_ID
from desktop.store.model_store import ModelStore

DEFAULT_CONTEXT = 4096


def _default_session(model, context, on_progress=None):
    """A native Session; `on_progress(bytes, total)` hears of the weights' upload to the GPU."""
    from engine.session import Session

    if on_progress is None:
        return Session(model, context=context)
    from engine.native.host import Host

    session = Session(
        model, context=context, host_factory=lambda plan, folder: Host(plan, folder, on_progress=on_progress)
    )
    session.host_factory = None  # a reload after a GPU failure takes a fresh default device, silently
    return session


def _takes_progress(factory) -> bool:
    try:
        return "on_progress" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def fit_messages(messages: list[dict], count_tokens, context: int, max_tokens: int) -> tuple[list[dict], int]:
    """The messages that fit `context` with room for `max_tokens`, and how many were left out.

    System messages stay; the oldest other messages leave first, and a leading assistant reply
    leaves with the user turn it answered (templates expect a user turn first). The last message
    always stays: when even it does not fit, the caller's engine error says so.
    """
    system = [m for m in messages if m["role"] == "system"]
    turns = [m for m in messages if m["role"] != "system"]
    dropped = 0
    while len(turns) > 1 and count_tokens(system + turns) + max_tokens > context:
        turns.pop(0)
        dropped += 1
        while len(turns) > 1 and turns[0]["role"] == "assistant":
            turns.pop(0)
            dropped += 1
    return system + turns, dropped


class ChatEngine:
    def __init__(self, store: ModelStore, session_factory=None):
        self.store = store
        self.session_factory = session_factory or _default_session
        self.generation_lock = threading.Lock()  # one generation at a time: the GPU runs one plan
        self.session = None
        self.key: tuple[str, int] | None = None

    def default_model(self) -> str:
        ids = self.store.ids()
        if not ids:
            raise ModelNotFound("No model is installed yet; wait for the built-in model to finish importing.")
        return DEFAULT_MODEL_ID if DEFAULT_MODEL_ID in ids else ids[0]

    def session_for(self, model_id: str, context: int | None, on_progress=None):
        """The loaded session for model and context; loads it (dropping the previous one) if needed,
        telling `on_progress(bytes, total)` how much of the weights is on the GPU.
        Call with generation_lock held."""
        manifest = self.store.manifest(model_id)
        limit = manifest.get("context_length") or DEFAULT_CONTEXT
        context = max(64, min(int(context or DEFAULT_CONTEXT), limit))
        if self.key != (model_id, context):
            self.session = None  # free the old weights before loading the new ones
            self.key = None
            extra = {"on_progress": on_progress} if on_progress and _takes_progress(self.session_factory) else {}
            self.session = self.session_factory(self.store.open_model(model_id), context, **extra)
            self.key = (model_id, context)
        return self.session

    def unload(self, model_id: str) -> None:
        with self.generation_lock:
            if self.key and self.key[0] == model_id:
                self.session, self.key = None, None

    def prompt_for(self, session, messages: list[dict], max_tokens: int) -> tuple[list[int], int]:
        """Prompt token ids for the messages, after leaving out what does not fit; and the count left out."""
        context = session.runner.context
        kept, dropped = fit_messages(messages, lambda m: len(session.chat_tokens(m)), context, max_tokens)
        prompt = session.chat_tokens(kept)
        if len(prompt) >= context:
            raise EngineError(
                f"The last message alone needs {len(prompt)} tokens but the context holds {context}; "
                "shorten it or raise the context size in the settings."
            )
        return prompt, dropped
