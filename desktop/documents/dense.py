"""The dense side of hybrid retrieval: chunk embeddings (all-MiniLM-L6-v2 on the GPU) ranked by cosine.

`DenseIndex(library)` is a `retrieval.DenseScorer`: pass it as `Retriever(library, dense=...)`.
Each document's chunk vectors are cached in the library folder as
`embeddings/doc<id>-<hash>.npy` ([chunks, 384] f32, rows in chunk order), the hash covering the
embedding model and every chunk's text: a re-indexed or re-chunked document gets new vectors,
an unchanged one is never embedded twice. Vectors are L2-normalised, so cosine is a dot product.
`precompute(doc_ids)` embeds documents ahead of the first question (after `docs add`, in the app's
add job); otherwise a document is embedded at the first question about it, with `on_progress`.

Without a usable engine (no GPU adapter, embedding model missing or damaged, a GPU failure while
embedding, or HEARTH_EMBEDDINGS=off) the index reports the reason once (`on_unavailable`, else a
log warning), returns no ranking, and retrieval ranks with BM25 alone.
"""

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from desktop.documents.errors import Cancelled, DocumentError
from desktop.documents.library import Library
from desktop.errors import HearthError

log = logging.getLogger("hearth.documents.dense")
# chunks per Embedder.embed call: the engine packs them into its own batches anyway; 16 keeps a
# progress report every few seconds on a CPU adapter and a cancel close at hand
EMBED_BATCH = 16
OFF_VALUES = ("0", "off", "no", "false")

# (document name, passages embedded so far, passages in the document)
EmbedProgress = Callable[[str, int, int], None]


def _default_embedder():
    from engine.embeddings import Embedder

    return Embedder()


def on_a_gpu() -> bool:
    """Whether embedding is cheap enough to do ahead of the first question (the app's add job): on a
    GPU a passage takes milliseconds; on a CPU adapter (lavapipe) about a second per 32 tokens, so a
    folder of books would hold the job for hours, and documents are embedded when first asked about."""
    try:
        from engine.native import gpu
        from engine.plan.adapter import traits_of

        return traits_of(gpu.adapter())["kind"] != "cpu"
    except (HearthError, ImportError):
        return False


def content_key(model_id: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


class DenseIndex:
    def __init__(
        self,
        library: Library,
        embedder_factory: Callable[[], object] | None = None,
        on_progress: EmbedProgress | None = None,
        on_unavailable: Callable[[str], None] | None = None,
    ):
        self.library = library
        self.folder = Path(library.folder) / "embeddings"
        self._factory = embedder_factory or _default_embedder  # resolved here, so tests can swap the default
        self._embedder = None
        self.on_progress, self.on_unavailable = on_progress, on_unavailable
        self.unavailable: str | None = None  # why dense ranking is off, once it is
        self._lock = threading.RLock()  # one loader, one writer per document: app jobs share an index

    @property
    def mode(self) -> str:
        """ "hybrid" (BM25 + embeddings), or "bm25" once embeddings turned out unavailable."""
        return "bm25" if self.unavailable else "hybrid"

    def _turn_off(self, reason: str) -> None:
        self.unavailable, self._embedder = reason, None
        if self.on_unavailable is not None:
            self.on_unavailable(reason)
        else:
            log.warning("Dense retrieval is off, ranking with BM25 alone: %s", reason)

    def embedder(self):
        """The loaded embedder, or None (reported once) when the engine cannot run it."""
        with self._lock:
            if self._embedder is None and self.unavailable is None:
                if os.environ.get("HEARTH_EMBEDDINGS", "").strip().lower() in OFF_VALUES:
                    self._turn_off("HEARTH_EMBEDDINGS is off; unset it to rank with embeddings too.")
                    return None
                try:
                    self._embedder = self._factory()
                except (HearthError, OSError, ImportError) as e:
                    self._turn_off(str(e))
            return self._embedder

    def vectors(
        self, doc_id: int, cancel: threading.Event | None = None, on_progress: EmbedProgress | None = None
    ) -> tuple[list[int], np.ndarray] | None:
        """(chunk ids, [chunks, dim] unit vectors) of a document, embedded on first use; None without an engine."""
        on_progress = on_progress or self.on_progress
        with self._lock:
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
            name = chunks[0].name if chunks else str(doc_id)
            parts = []
            try:
                for start in range(0, len(texts), EMBED_BATCH):
                    if on_progress is not None:
                        on_progress(name, start, len(texts))
                    if cancel is not None and cancel.is_set():
                        raise Cancelled("Embedding was cancelled; the document is embedded at its first question.")
                    parts.append(embedder.embed(texts[start : start + EMBED_BATCH]))
            except Cancelled:
                raise
            except HearthError as e:  # a GPU failure mid-way: the answer still comes, from BM25
                self._turn_off(str(e))
                return None
            if on_progress is not None and texts:
                on_progress(name, len(texts), len(texts))
            matrix = np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), np.float32)
            self._save(doc_id, path, matrix)
            return ids, matrix

    def precompute(
        self,
        doc_ids: Sequence[int],
        cancel: threading.Event | None = None,
        on_progress: EmbedProgress | None = None,
    ) -> int:
        """Embeds the documents whose vectors are not cached yet; returns how many have vectors now."""
        ready = 0
        for doc_id in doc_ids:
            try:
                found = self.vectors(doc_id, cancel, on_progress)
            except DocumentError:
                continue  # removed meanwhile
            if found is None:
                break  # no engine: nothing else will embed either
            ready += 1
        return ready

    def _save(self, doc_id: int, path: Path, matrix: np.ndarray) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in self.folder.glob(f"doc{doc_id}-*.npy"):
                stale.unlink(missing_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")  # the CLI and the app share a library
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
        if not question.strip() or self.embedder() is None:
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
        embedder = self.embedder()  # None when embedding a document just failed
        if not blocks or embedder is None:
            return []
        try:
            query = embedder.embed([question])[0]
        except HearthError as e:
            self._turn_off(str(e))
            return []
        scores = np.concatenate(blocks) @ query
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(all_ids[i], float(scores[i])) for i in order]
