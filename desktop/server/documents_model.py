"""The chat engine's loaded session as the assistant's ChatModel, for summaries and answers in the app.

Documents run on the native host, the same session the chat API uses: one model on the GPU, one
generation at a time. A job waits for the generation lock (a chat answer may be streaming) while
still answering a cancel, then holds it for all of its model calls, so a map-reduce summary is not
interleaved with chat turns that would each evict the other's KV cache.
"""

import contextlib
import threading

from desktop.assistant.chat_model import SessionChatModel, check_cancel
from engine.runner import Sampling

# greedy with a light repetition penalty, as `hearth ask` and `hearth summarize` use by default
DOCUMENT_SAMPLING = Sampling(temperature=0.0, repetition_penalty=1.1)
LOCK_POLL_SECONDS = 0.2


class EngineChatModel(SessionChatModel):
    def __init__(self, session, sampling=None):
        self.session = session
        self.sampling = sampling or DOCUMENT_SAMPLING
        self.context = session.runner.context  # the chat engine's sessions all expose runner.context
        self.last = None


@contextlib.contextmanager
def document_model(server, model_id: str | None, context: int | None, cancel: threading.Event, on_wait=None):
    """Yields a ChatModel on the chat engine's session for `model_id` (default: the chat's default
    model) with the generation lock held; raises Cancelled if `cancel` is set while waiting."""
    engine = server.chat_engine
    waited = False
    while not engine.generation_lock.acquire(timeout=LOCK_POLL_SECONDS):
        check_cancel(cancel)
        if not waited and on_wait is not None:
            on_wait("waiting for the answer in progress to finish")
            waited = True
    try:
        check_cancel(cancel)
        if on_wait is not None:
            on_wait("loading the model")
        session = engine.session_for(model_id or engine.default_model(), context)
        yield EngineChatModel(session)
    finally:
        engine.generation_lock.release()
