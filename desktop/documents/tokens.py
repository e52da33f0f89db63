"""Token counting with the active model's tokenizer, so chunk sizes mean what the model will see."""

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class TokenCounter:
    name: str  # the model whose tokenizer counts; stored with each document so a model change can re-chunk
    count: Callable[[str], int]


def _counter(name: str, tokenizer) -> TokenCounter:
    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return TokenCounter(name, count)


@lru_cache(maxsize=4)
def _from_store(model_id: str, folder: str) -> TokenCounter:
    from tokenizers import Tokenizer

    return _counter(model_id, Tokenizer.from_file(f"{folder}/tokenizer.json"))


@lru_cache(maxsize=1)
def _from_embedded_default(cache_folder: str) -> TokenCounter:
    """The built-in model's tokenizer read straight from its GGUF: no 98 MB import just to count.

    Parsing the GGUF takes seconds, so the tokenizer.json is cached under the library's folder,
    keyed by the GGUF's size and modification time.
    """
    from tokenizers import Tokenizer

    from desktop.importers.default_model import DEFAULT_MODEL_ID, default_gguf_path

    gguf_path = default_gguf_path()
    stat = gguf_path.stat()
    cached = Path(cache_folder) / f"{DEFAULT_MODEL_ID}-{stat.st_size}-{stat.st_mtime_ns}.tokenizer.json"
    if not cached.exists():
        from desktop.importers.gguf_import import open_gguf
        from desktop.importers.gguf_tokenizer import tokenizer_json_from_gguf

        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(tokenizer_json_from_gguf(open_gguf(gguf_path)), encoding="utf-8")
        partial.replace(cached)
    return _counter(DEFAULT_MODEL_ID, Tokenizer.from_file(str(cached)))


def model_token_counter(model_id: str | None = None) -> TokenCounter:
    """The tokenizer of `model_id`, else of the store's default model, else of the built-in model."""
    from desktop.importers.default_model import DEFAULT_MODEL_ID
    from desktop.store.model_store import ModelStore

    store = ModelStore()
    ids = store.ids()
    if model_id is None:
        model_id = DEFAULT_MODEL_ID if DEFAULT_MODEL_ID in ids or not ids else ids[0]
    if model_id in ids:
        return _from_store(model_id, str(store.model_dir(model_id)))
    if model_id == DEFAULT_MODEL_ID:
        return _from_embedded_default(str(store.root / "documents" / "tokenizers"))
    store.model_dir(model_id)  # raises a clear ModelNotFound
    raise AssertionError("unreachable")


def approximate_counter() -> TokenCounter:
    """Words and punctuation marks: a stand-in for tests and for when no tokenizer is installed."""
    import re

    pattern = re.compile(r"\w+|[^\w\s]")
    return TokenCounter("approximate", lambda text: len(pattern.findall(text)))
