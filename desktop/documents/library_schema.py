"""The library database's schema as numbered migrations: MIGRATIONS[n] brings version n to n + 1.

The version lives in SQLite's `user_version`, so schema and version change in one transaction.
The connection must be in autocommit mode (isolation_level=None): transactions here are explicit.
"""

import sqlite3

from desktop.errors import StoreError


def _v0_to_v1(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,       -- absolute path the user added
            name TEXT NOT NULL,
            kind TEXT NOT NULL,              -- pdf, docx, epub, html, markdown, text
            sha256 TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            title TEXT,
            pages INTEGER,
            text TEXT NOT NULL,              -- blocks joined by blank lines: chunk offsets index into it
            tokenizer TEXT NOT NULL,         -- model whose tokenizer sized the chunks
            chunk_count INTEGER NOT NULL,
            added TEXT NOT NULL,
            indexed TEXT NOT NULL
        );
        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            page INTEGER,                    -- 1-based, NULL where the format has no pages
            section TEXT NOT NULL,           -- JSON list of headings, outermost first
            char_start INTEGER NOT NULL,
            char_end INTEGER NOT NULL,
            token_count INTEGER NOT NULL,    -- model tokens, for prompt budgets
            term_count INTEGER NOT NULL,     -- BM25 tokens, the document length in BM25
            text TEXT NOT NULL
        );
        CREATE INDEX chunks_by_doc ON chunks(doc_id, ordinal);
        CREATE TABLE postings (              -- the BM25 inverted index
            term TEXT NOT NULL,
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            tf INTEGER NOT NULL,
            PRIMARY KEY (term, chunk_id)
        ) WITHOUT ROWID;
        CREATE INDEX postings_by_chunk ON postings(chunk_id);
        """,
    )


def _run(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement, since executescript would commit the migration's transaction early."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS = {0: _v0_to_v1}
CURRENT_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: str) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > CURRENT_VERSION:
        raise StoreError(
            f"The document library at {path} was written by a newer Hearth (schema {version}); update Hearth."
        )
    if version == CURRENT_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        while version < CURRENT_VERSION:
            MIGRATIONS[version](db)
            version += 1
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
