"""What `hearth summarize` and `hearth ask` share: files into the library, a model into a session,
and a progress line on stderr."""

import sys
from collections.abc import Sequence
from pathlib import Path

from desktop.assistant.errors import AssistantError


def add_files(library, paths: Sequence[str], err=None) -> list[int]:
    """Adds (or re-uses) each file in the library; returns their document ids in the order given.

    A file that cannot be read costs one line on `err`; the others go on. No readable file at all
    is an error.
    """
    from desktop.documents.batch import add_paths

    err = err or sys.stderr
    shown = set()

    def progress(event) -> None:
        shown.add(str(event.path))
        if event.status == "failed":
            print(event.message, file=err)  # the message names the file
        elif event.message:  # a note such as "read as cp1252"
            print(f"{event.path}: {event.message}", file=err)

    report = add_paths(library, [Path(p) for p in paths], on_progress=progress)
    for path, message in report.failures:
        if str(path) not in shown:  # a path that does not exist never reaches the progress callback
            print(message, file=err)
    doc_ids = list(dict.fromkeys(o.document.id for o in report.outcomes))
    if not doc_ids:
        raise AssistantError("None of the files could be read as a document; see the messages above.")
    return doc_ids


def model_and_library(model_id: str | None, progress: bool = True):
    """(store, model id, library chunked by that model's tokenizer); imports the built-in model if needed."""
    from desktop.documents.library import Library
    from desktop.documents.tokens import model_token_counter
    from desktop.importers.default_model import ensure_model
    from desktop.store.model_store import ModelStore

    store = ModelStore()
    model_id = ensure_model(store, model_id, progress=progress)
    return store, model_id, Library(token_counter=model_token_counter(model_id))


def session_model(store, model_id: str, context: int | None, sampling):
    """The model loaded on the GPU as a ChatModel (seconds: weights are read and kernels compiled)."""
    from desktop.assistant.chat_model import SessionChatModel
    from engine.session import Session

    return SessionChatModel(Session(store.open_model(model_id), context=context), sampling)


def dense_index(library, err=None):
    """The library's embeddings for `hearth ask` and `hearth docs add`: documents are embedded when
    first needed, with a progress line on `err`, and the reason for ranking by keywords alone
    (no GPU adapter, HEARTH_EMBEDDINGS=off) is said once there."""
    from desktop.documents.dense import DenseIndex

    err = err or sys.stderr
    line = ProgressLine(err)

    def progress(name: str, done: int, total: int) -> None:
        line.show(f"embedding {name} for search: {done} of {total} passages")
        if done == total:
            line.done()

    def unavailable(reason: str) -> None:
        line.done()
        print(f"Searching the documents by keywords only (BM25): {reason}", file=err)

    return DenseIndex(library, on_progress=progress, on_unavailable=unavailable)


class ProgressLine:
    """One line on a terminal, rewritten in place; one line per event when stderr is a file or pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.live = stream.isatty()
        self.width = 0

    def show(self, event) -> None:
        text = str(event)
        if self.live:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
