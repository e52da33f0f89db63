"""A stand-in for engine.embeddings.Embedder that needs no GPU: hashed bag-of-words unit vectors.
Words in common make vectors close, which is all the dense-index plumbing tests need."""

import zlib

import numpy as np

from desktop.documents.bm25 import tokenize


class FakeEmbedder:
    model_id = "fake-embedder"
    dimension = 64

    def __init__(self, fail_after: int | None = None):
        self.calls: list[list[str]] = []
        self.fail_after = fail_after  # raise an EngineError on this many-th call (a GPU lost mid-way)

    def embed(self, texts):
        from desktop.errors import EngineError

        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise EngineError("The GPU was lost while embedding (test); restart Hearth.")
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            for word in tokenize(text):
                out[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)
