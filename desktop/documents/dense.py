"""The dense side of hybrid retrieval: chunk embeddings (all-MiniLM-L6-v2 on the GPU) ranked by cosine.

`DenseIndex(library)` is a `retrieval.DenseScorer`: pass it as `Retriever(library, dense=...)`.
Each document's chunk vectors are cached in the library folder as
`embeddings/doc<id>-<hash>.npy` ([chunks, 384] f32, rows in chunk order), the hash covering the
embedding model and every chunk's text: a re-indexed or re-chunked document gets new vectors,
an unchanged one is never embedded twice. Vectors are L2-normalised, so cosine is a dot product.

Without a usable engine (no GPU adapter, embedding model missing or damaged) the index logs
the reason once and returns no ranking, and retrieval ranks with BM25 alone.
"""

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from desktop.documents.errors import DocumentError
from desktop.documents.library import Library
from desktop.errors import HearthError

log = logging.getLogger("hearth.documents.dense")
EMBED_BATCH = 64  # chunks per Embedder.embed call: bounds memory, the engine packs them further


def _default_embedder():
    from engine.embeddings import Embedder

    return Embedder()


def content_key(model_id: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


class DenseIndex:
    def __init__(self, library: Library, embedder_factory: Callable[[], object] = _default_embedder):
        self.library = library
        self.folder = Path(library.folder) / "embeddings"
        self._factory = embedder_factory
        self._embedder = None
        self.unavailable: str | None = None  # why dense ranking is off, once it is

    def embedder(self):
        """The loaded embedder, or None (logged once) when the engine cannot run it."""
        if self._embedder is None and self.unavailable is None:
            try:
                self._embedder = self._factory()
            except (HearthError, OSError) as e:
                self.unavailable = str(e)
                log.warning("Dense retrieval is off, ranking with BM25 alone: %s", e)
        return self._embedder

    def vectors(self, doc_id: int) -> tuple[list[int], np.ndarray] | None:
        """(chunk ids, [chunks, dim] unit vectors) of a document, embedded on first use; None without an engine."""
        embedder = self.embedder()
        if embedder is None:
            return None
        chunks = self.library.chunks(doc_id)
        ids, texts = [c.id for c in chunks], [c.text for c in chunks]
        path = self.folder / f"doc{doc_id}-{content_key(embedder.model_id, texts)}.npy"
        if path.exists():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(ids):
                    return ids, cached
            except (OSError, ValueError):
                pass  # a damaged cache file is rebuilt below
        parts = [embedder.embed(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)]
        matrix = np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), np.float32)
        self._save(doc_id, path, matrix)
        return ids, matrix

    def _save(self, doc_id: int, path: Path, matrix: np.ndarray) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in self.folder.glob(f"doc{doc_id}-*.npy"):
                stale.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                np.save(f, matrix)
            tmp.replace(path)
        except OSError as e:
            log.warning("Could not cache chunk embeddings in %s: %s", self.folder, e)

    def prune(self) -> int:
        """Removes cached vectors of documents no longer in the library; returns how many files went."""
        known = {d.id for d in self.library.documents()}
        removed = 0
        for path in self.folder.glob("doc*-*.npy"):
            doc = path.name[3:].split("-", 1)[0]
            if not doc.isdigit() or int(doc) not in known:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def __call__(self, question: str, doc_ids: Sequence[int] | None, limit: int) -> list[tuple[int, float]]:
        """(chunk id, cosine), best first, over the chunks of `doc_ids` (every document when None)."""
        embedder = self.embedder()
        if embedder is None or not question.strip():
            return []
        ids = list(doc_ids) if doc_ids is not None else [d.id for d in self.library.documents()]
        all_ids, blocks = [], []
        for doc_id in ids:
            try:
                found = self.vectors(doc_id)
            except DocumentError:
                continue  # removed while we ranked; BM25 skips it too
            if found is not None and found[0]:
                all_ids += found[0]
                blocks.append(found[1])
        if not blocks:
            return []
        query = embedder.embed([question])[0]
        scores = np.concatenate(blocks) @ query
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(all_ids[i], float(scores[i])) for i in order]
