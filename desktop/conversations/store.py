"""Conversations in SQLite at HEARTH_HOME/conversations.db (WAL): list, search, edit, delete.

Each public method opens its own connection (cheap for SQLite, and safe across the server's
threads) and does its writes in one IMMEDIATE transaction, so a crash loses at most that write.
"""

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.conversations.schema import DEFAULT_SETTINGS, migrate
from desktop.errors import HearthError
from desktop.paths import hearth_home

ROLES = ("system", "user", "assistant")
SNIPPET_CHARS = 60


class ConversationNotFound(HearthError):
    http_status = 404


class BadConversationInput(HearthError):
    http_status = 400


def _conversation(row: sqlite3.Row) -> dict:
    return {
        "id": row["id"],
        "title": row["title"],
        "system_prompt": row["system_prompt"],
        "model_id": row["model_id"],
        "settings": {**DEFAULT_SETTINGS, **json.loads(row["settings"])},
        "created": row["created"],
        "updated": row["updated"],
        "message_count": row["message_count"],
    }


def _message(row: sqlite3.Row) -> dict:
    return {
        "id": row["id"],
        "role": row["role"],
        "content": row["content"],
        "created": row["created"],
        "meta": json.loads(row["meta"]),
    }


def _check_settings(settings) -> dict:
    if not isinstance(settings, dict) or set(settings) - set(DEFAULT_SETTINGS):
        allowed = ", ".join(DEFAULT_SETTINGS)
        raise BadConversationInput(f"Settings may only hold {allowed}; remove the other keys.")
    return settings


def snippet(text: str, terms: list[str]) -> str:
    """A short piece of `text` around the first term found in it."""
    lower = text.lower()
    hits = [i for i in (lower.find(t.lower()) for t in terms) if i >= 0]
    at = min(hits) if hits else 0
    start, end = max(0, at - SNIPPET_CHARS), min(len(text), at + SNIPPET_CHARS)
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ConversationStore:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else hearth_home() / "conversations.db"
        with self._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
            migrate(db)
            self.has_fts = (
                db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'").fetchone() is not None
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across app crashes
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    _SELECT = """SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
                 FROM conversations c"""

    def _get(self, db: sqlite3.Connection, conversation_id: int) -> dict:
        row = db.execute(f"{self._SELECT} WHERE c.id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise ConversationNotFound(f"There is no conversation {conversation_id}; reload the list.")
        return _conversation(row)

    def create(
        self,
        title: str | None = None,
        system_prompt: str = "",
        model_id: str | None = None,
        settings: dict | None = None,
    ) -> dict:
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO conversations (title, system_prompt, model_id, settings, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    title or "New chat",
                    system_prompt or "",
                    model_id,
                    json.dumps(_check_settings(settings or {})),
                    now,
                    now,
                ),
            )
            return self._get(db, cursor.lastrowid)

    def get(self, conversation_id: int, with_messages: bool = True) -> dict:
        with self._connect() as db:
            conversation = self._get(db, conversation_id)
            if with_messages:
                rows = db.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
                ).fetchall()
                conversation["messages"] = [_message(r) for r in rows]
            return conversation

    def all(self) -> list[dict]:
        with self._connect() as db:
            rows = db.execute(f"{self._SELECT} ORDER BY c.updated DESC, c.id DESC").fetchall()
            return [_conversation(r) for r in rows]

    def update(self, conversation_id: int, **fields) -> dict:
        with self._write() as db:
            current = self._get(db, conversation_id)
            values = {}
            for key in ("title", "system_prompt", "model_id"):
                if key in fields:
                    values[key] = fields[key] if key == "model_id" else str(fields[key] or "")
            if "title" in values and not values["title"].strip():
                raise BadConversationInput("A conversation needs a title; type at least one character.")
            if "settings" in fields:
                merged = {**current["settings"], **_check_settings(fields["settings"] or {})}
                values["settings"] = json.dumps(merged)
            values["updated"] = time.time()
            assignments = ", ".join(f"{k} = ?" for k in values)
            db.execute(
                f"UPDATE conversations SET {assignments} WHERE id = ?", (*values.values(), conversation_id)
            )
            return self._get(db, conversation_id)

    def delete(self, conversation_id: int) -> None:
        with self._write() as db:
            self._get(db, conversation_id)
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def add_message(self, conversation_id: int, role: str, content: str, meta: dict | None = None) -> dict:
        if role not in ROLES or not isinstance(content, str):
            raise BadConversationInput(f"A message needs a role ({', '.join(ROLES)}) and text content.")
        now = time.time()
        with self._write() as db:
            self._get(db, conversation_id)
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, content, meta, created) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, role, content, json.dumps(meta or {}), now),
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
            return _message(db.execute("SELECT * FROM messages WHERE id = ?", (cursor.lastrowid,)).fetchone())

    def _message_row(self, db, conversation_id: int, message_id: int) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM messages WHERE id = ? AND conversation_id = ?", (message_id, conversation_id)
        ).fetchone()
        if row is None:
            raise ConversationNotFound(
                f"Conversation {conversation_id} has no message {message_id}; reload it."
            )
        return row

    def edit_message(
        self, conversation_id: int, message_id: int, content: str | None = None, meta: dict | None = None
    ) -> dict:
        with self._write() as db:
            row = self._message_row(db, conversation_id, message_id)
            new_content = row["content"] if content is None else str(content)
            new_meta = row["meta"] if meta is None else json.dumps(meta)
            db.execute(
                "UPDATE messages SET content = ?, meta = ? WHERE id = ?", (new_content, new_meta, message_id)
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), conversation_id))
            return _message(db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone())

    def delete_from(self, conversation_id: int, message_id: int) -> list[int]:
        """Deletes the message and every later one (regenerate, edit-and-resend); returns their ids."""
        with self._write() as db:
            self._message_row(db, conversation_id, message_id)
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM messages WHERE conversation_id = ? AND id >= ? ORDER BY id",
                    (conversation_id, message_id),
                )
            ]
            db.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND id >= ?", (conversation_id, message_id)
            )
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), conversation_id))
            return ids

    def search(self, text: str) -> list[dict]:
        """Conversations whose title or messages hold every word of `text`, each with a snippet."""
        terms = re.findall(r"\w+", text, flags=re.UNICODE)
        if not terms:
            return self.all()
        with self._connect() as db:
            if self.has_fts:
                match = " ".join('"' + t.replace('"', '""') + '"*' for t in terms)
                hits = db.execute(
                    "SELECT m.conversation_id, m.content FROM messages_fts f "
                    "JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ? ORDER BY f.rank",
                    (match,),
                ).fetchall()
            else:
                where = " AND ".join("content LIKE ? ESCAPE '\\'" for _ in terms)
                like = [_like_pattern(t) for t in terms]
                hits = db.execute(
                    f"SELECT conversation_id, content FROM messages WHERE {where}", like
                ).fetchall()
            title_where = " AND ".join("title LIKE ?" for _ in terms)
            titles = db.execute(
                f"SELECT id, title FROM conversations WHERE {title_where}", [f"%{t}%" for t in terms]
            ).fetchall()
        snippets: dict[int, str] = {}
        for conversation_id, title in titles:
            snippets[conversation_id] = title
        for conversation_id, content in hits:
            snippets.setdefault(conversation_id, snippet(content, terms))
        found = [c for c in self.all() if c["id"] in snippets]
        for conversation in found:
            conversation["snippet"] = snippets[conversation["id"]]
        return found
