"""The conversations database's schema: MIGRATIONS[n] brings it from version n to n + 1.

The version lives in SQLite's `PRAGMA user_version`; each migration runs in the same transaction as
the version bump, so a crash leaves the database at the old version or the new, never between.
"""

import sqlite3

from desktop.errors import StoreError

DEFAULT_SETTINGS = {"temperature": 0.7, "top_p": 0.95, "max_tokens": 512, "context_size": 4096}


def _run(db: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:  # not executescript, which would commit the open transaction
        db.execute(statement)


def _tables(db: sqlite3.Connection) -> None:
    _run(
        db,
        [
            """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            system_prompt TEXT NOT NULL DEFAULT '',
            model_id TEXT,
            settings TEXT NOT NULL DEFAULT '{}',
            created REAL NOT NULL,
            updated REAL NOT NULL
        )""",
            """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            meta TEXT NOT NULL DEFAULT '{}',
            created REAL NOT NULL
        )""",
            "CREATE INDEX messages_in_order ON messages (conversation_id, id)",
            "CREATE INDEX conversations_by_update ON conversations (updated)",
        ],
    )


def fts5_available(db: sqlite3.Connection) -> bool:
    try:
        db.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
        db.execute("DROP TABLE temp.fts5_probe")
        return True
    except sqlite3.OperationalError:
        return False


def _full_text_index(db: sqlite3.Connection) -> None:
    """An FTS5 index over message text kept current by triggers; without FTS5 search falls back to LIKE."""
    if not fts5_available(db):
        return
    _run(
        db,
        [
            "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id')",
            """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END""",
            """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END""",
            """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END""",
            "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
        ],
    )


MIGRATIONS = {0: _tables, 1: _full_text_index}
CURRENT_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, target: int = CURRENT_VERSION) -> int:
    """Runs the missing migrations up to `target`; returns the version the database is at."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > CURRENT_VERSION:
        raise StoreError(
            f"The conversations database was written by a newer Hearth (schema {version}); "
            "update Hearth to open it."
        )
    while version < target:
        db.execute("BEGIN IMMEDIATE")  # one transaction: the migration and its version bump
        try:
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version += 1
    return version
