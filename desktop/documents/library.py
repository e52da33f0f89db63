"""The document library: documents, their chunks and the BM25 index in HEARTH_HOME/documents.

One SQLite database in WAL mode, so the app, the CLI and a server can read while one of them
writes. Extraction (slow) runs outside any transaction; writing one document's index is one
transaction, so a crash or a cancel never leaves half a document behind.
"""

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from desktop.documents.bm25 import bm25_scores, idf, ranked, term_frequencies, tokenize
from desktop.documents.chunker import chunk_blocks
from desktop.documents.errors import Cancelled, DocumentError
from desktop.documents.extract import extract
from desktop.documents.library_schema import migrate
from desktop.documents.tokens import TokenCounter, model_token_counter
from desktop.paths import hearth_home
from desktop.store.model_store import sha256_of

DOC_COLUMNS = "id, path, name, kind, sha256, size_bytes, title, pages, chunk_count, tokenizer, added, indexed"
CHUNK_COLUMNS = (
    "c.id, c.doc_id, d.path, d.name, c.ordinal, c.page, c.section, c.char_start, c.char_end, c.token_count, c.text"
)


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    path: str
    name: str
    kind: str
    sha256: str
    size_bytes: int
    title: str | None
    pages: int | None
    chunk_count: int
    tokenizer: str
    added: str
    indexed: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StoredChunk:
    id: int
    doc_id: int
    file: str  # the path the user added
    name: str
    ordinal: int
    page: int | None
    section: tuple[str, ...]
    char_start: int
    char_end: int
    token_count: int
    text: str


@dataclass(frozen=True)
class AddOutcome:
    document: DocumentInfo
    status: str  # "added", "reindexed" (the file changed) or "unchanged"
    notes: tuple[str, ...] = ()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _chunk(row) -> StoredChunk:
    return StoredChunk(*row[:6], tuple(json.loads(row[6])), *row[7:])


class Library:
    def __init__(
        self,
        root: Path | None = None,
        token_counter: TokenCounter | None = None,
        max_tokens: int = 256,
        overlap_tokens: int = 32,
    ):
        self.folder = Path(root) if root else hearth_home() / "documents"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.folder / "library.sqlite3"
        self._counter = token_counter
        self.max_tokens, self.overlap_tokens = max_tokens, overlap_tokens
        self._local = threading.local()
        migrate(self._db(), str(self.db_path))

    def _db(self) -> sqlite3.Connection:
        """One connection per thread: extraction runs on a worker thread while the UI lists documents."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.db_path, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
        return db

    @property
    def token_counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = model_token_counter()
        return self._counter

    def documents(self) -> list[DocumentInfo]:
        rows = self._db().execute(f"SELECT {DOC_COLUMNS} FROM documents ORDER BY id").fetchall()
        return [DocumentInfo(*row) for row in rows]

    def document(self, doc_id: int) -> DocumentInfo:
        row = self._db().execute(f"SELECT {DOC_COLUMNS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentError(f"There is no document {doc_id} in the library; see `hearth docs list`.")
        return DocumentInfo(*row)

    def find(self, path: Path) -> DocumentInfo | None:
        key = str(Path(path).expanduser().resolve())
        row = self._db().execute(f"SELECT {DOC_COLUMNS} FROM documents WHERE path = ?", (key,)).fetchone()
        return DocumentInfo(*row) if row else None

    def text(self, doc_id: int) -> str:
        self.document(doc_id)
        return self._db().execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]

    def chunks(self, doc_id: int) -> list[StoredChunk]:
        self.document(doc_id)
        sql = (
            f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.doc_id "
            "WHERE c.doc_id = ? ORDER BY c.ordinal"
        )
        return [_chunk(row) for row in self._db().execute(sql, (doc_id,))]

    def chunks_by_id(self, chunk_ids: list[int]) -> dict[int, StoredChunk]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        sql = f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN ({marks})"
        return {row[0]: _chunk(row) for row in self._db().execute(sql, list(chunk_ids))}

    def add(self, path: Path, cancel: threading.Event | None = None) -> AddOutcome:
        """Indexes a file; a file already in the library is re-indexed only if its bytes changed.

        Raises DocumentError for a file that cannot be read, Cancelled when `cancel` is set meanwhile.
        """
        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise DocumentError(f"There is no file at {path}; check the path and try again.")
        sha256 = sha256_of(path)
        known = self.find(path)
        if known and known.sha256 == sha256 and known.tokenizer == self.token_counter.name:
            return AddOutcome(known, "unchanged")
        extracted = extract(path, cancel)
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"Adding {path.name} was cancelled.")
        chunks = chunk_blocks(
            extracted.blocks, self.token_counter.count, self.max_tokens, self.overlap_tokens, str(path)
        )
        doc_id = self._write(path, sha256, extracted, chunks, known)
        return AddOutcome(self.document(doc_id), "reindexed" if known else "added", tuple(extracted.notes))

    def _write(self, path, sha256, extracted, chunks, known: DocumentInfo | None) -> int:
        db = self._db()
        now = _now()
        values = (
            str(path),
            path.name,
            extracted.kind,
            sha256,
            path.stat().st_size,
            extracted.title,
            extracted.pages,
            extracted.text,
            self.token_counter.name,
            len(chunks),
            now,
        )
        db.execute("BEGIN IMMEDIATE")
        try:
            if known:
                doc_id = known.id
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                db.execute(
                    "UPDATE documents SET path=?, name=?, kind=?, sha256=?, size_bytes=?, title=?, pages=?, "
                    "text=?, tokenizer=?, chunk_count=?, indexed=? WHERE id=?",
                    (*values, doc_id),
                )
            else:
                doc_id = db.execute(
                    "INSERT INTO documents (path, name, kind, sha256, size_bytes, title, pages, text, tokenizer, "
                    "chunk_count, indexed, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, now),
                ).lastrowid
            for chunk in chunks:
                counts = term_frequencies(chunk.text)
                chunk_id = db.execute(
                    "INSERT INTO chunks (doc_id, ordinal, page, section, char_start, char_end, token_count, "
                    "term_count, text) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        doc_id,
                        chunk.ordinal,
                        chunk.page,
                        json.dumps(list(chunk.section), ensure_ascii=False),
                        chunk.char_start,
                        chunk.char_end,
                        chunk.token_count,
                        sum(counts.values()),
                        chunk.text,
                    ),
                ).lastrowid
                db.executemany(
                    "INSERT INTO postings (term, chunk_id, tf) VALUES (?,?,?)",
                    [(term, chunk_id, tf) for term, tf in counts.items()],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return doc_id

    def remove(self, doc_id: int) -> DocumentInfo:
        info = self.document(doc_id)
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))  # chunks and postings cascade
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return info

    def changed(self) -> list[tuple[DocumentInfo, str]]:
        """Documents whose file is gone ("missing") or differs from what was indexed ("changed")."""
        out = []
        for info in self.documents():
            path = Path(info.path)
            if not path.is_file():
                out.append((info, "missing"))
            elif path.stat().st_size != info.size_bytes or sha256_of(path) != info.sha256:
                out.append((info, "changed"))
        return out

    def bm25(self, question: str, doc_ids: list[int] | None = None, k: int = 50) -> list[tuple[int, float]]:
        """(chunk id, score), best first, over the chunks of `doc_ids` (all documents when None)."""
        terms = tokenize(question)
        if not terms:
            return []
        db = self._db()
        scope, params = "", []
        if doc_ids is not None:
            if not doc_ids:
                return []
            scope = f" AND c.doc_id IN ({','.join('?' * len(doc_ids))})"
            params = list(doc_ids)
        count, average = db.execute(
            f"SELECT COUNT(*), AVG(term_count) FROM chunks c WHERE 1=1{scope}", params
        ).fetchone()
        unique = sorted(set(terms))
        rows = db.execute(
            f"SELECT p.term, p.chunk_id, p.tf, c.term_count FROM postings p JOIN chunks c ON c.id = p.chunk_id "
            f"WHERE p.term IN ({','.join('?' * len(unique))}){scope}",
            unique + params,
        )
        postings: dict[str, dict[int, int]] = {}
        lengths: dict[int, int] = {}
        for term, chunk_id, tf, length in rows:
            postings.setdefault(term, {})[chunk_id] = tf
            lengths[chunk_id] = length
        return ranked(bm25_scores(terms, postings, lengths, count, average or 0.0), k)

    def question_weight(self, question: str, doc_ids: list[int] | None = None) -> float:
        """The BM25 score of an average-length chunk holding each question term once: the sum of the
        terms' idf over `doc_ids`, terms no chunk there uses at full weight. Retrieval compares chunk
        scores with it to tell a keyword match from a few shared common words."""
        terms = tokenize(question)
        if not terms or doc_ids == []:
            return 0.0
        scope, params = "", []
        if doc_ids is not None:
            scope = f" AND c.doc_id IN ({','.join('?' * len(doc_ids))})"
            params = list(doc_ids)
        db = self._db()
        (count,) = db.execute(f"SELECT COUNT(*) FROM chunks c WHERE 1=1{scope}", params).fetchone()
        unique = sorted(set(terms))
        frequencies = dict(
            db.execute(
                f"SELECT p.term, COUNT(*) FROM postings p JOIN chunks c ON c.id = p.chunk_id "
                f"WHERE p.term IN ({','.join('?' * len(unique))}){scope} GROUP BY p.term",
                unique + params,
            )
        )
        return sum(idf(frequencies.get(term, 0), count) for term in terms)
