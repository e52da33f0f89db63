"""Conversations through the real HTTP API: CRUD, search, export, migrations, restarts and crashes."""

import sqlite3
import subprocess
import sys

import pytest

from desktop.conversations import schema
from desktop.conversations.store import ConversationStore
from desktop.errors import StoreError


def _chat(client, title="Colors", system="Be brief."):
    conversation = client.post("/api/conversations", json={"title": title, "system_prompt": system}).json()
    url = f"/api/conversations/{conversation['id']}"
    client.post(f"{url}/messages", json={"role": "user", "content": "Name three colors."})
    client.post(f"{url}/messages", json={"role": "assistant", "content": "Red, green and turquoise."})
    return conversation["id"], url


def test_create_edit_truncate_delete(start_server):
    client = start_server().client
    cid, url = _chat(client)
    third = client.post(f"{url}/messages", json={"role": "user", "content": "More?"}).json()
    client.post(f"{url}/messages", json={"role": "assistant", "content": "Mauve."})
    got = client.get(url).json()
    assert [m["role"] for m in got["messages"]] == ["user", "assistant", "user", "assistant"]
    assert got["system_prompt"] == "Be brief." and got["message_count"] == 4

    renamed = client.patch(url, json={"title": "Palette", "settings": {"temperature": 0.2}}).json()
    assert renamed["title"] == "Palette" and renamed["settings"]["temperature"] == 0.2
    assert renamed["settings"]["max_tokens"] == 512  # untouched settings keep their defaults

    edited = client.patch(f"{url}/messages/{third['id']}", json={"content": "Two more?"}).json()
    assert edited["content"] == "Two more?"
    deleted = client.delete(f"{url}/messages/{third['id']}").json()["deleted"]
    assert deleted[0] == third["id"] and len(deleted) == 2  # it and every later message
    assert client.get(url).json()["message_count"] == 2

    assert client.post(f"{url}/messages", json={"role": "robot", "content": "x"}).status_code == 400
    assert client.patch(url, json={"colour": "red"}).status_code == 400
    assert client.delete(url).json() == {"deleted": cid}
    assert client.get(url).status_code == 404
    assert client.get("/api/conversations").json()["conversations"] == []


def test_search_finds_words_in_messages_and_titles_newest_first(start_server):
    client = start_server().client
    colors, _ = _chat(client, "Colors")
    client.post("/api/conversations", json={"title": "Turquoise holidays"})
    other = client.post("/api/conversations", json={"title": "Soup"}).json()
    client.post(f"/api/conversations/{other['id']}/messages", json={"role": "user", "content": "Lentils please"})
    found = client.get("/api/conversations", params={"q": "turquo"}).json()["conversations"]
    assert [c["title"] for c in found] == ["Turquoise holidays", "Colors"]
    assert "turquoise" in found[1]["snippet"]
    assert client.get("/api/conversations", params={"q": "lentils"}).json()["conversations"][0]["id"] == other["id"]
    assert client.get("/api/conversations", params={"q": "zebra"}).json()["conversations"] == []


def test_search_without_fts5_falls_back_to_like(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "fts5_available", lambda db: False)
    store = ConversationStore(tmp_path / "like.db")
    assert not store.has_fts
    c = store.create("A")
    store.add_message(c["id"], "user", "100% of the_cat")
    assert [x["id"] for x in store.search("the_cat")] == [c["id"]]
    assert store.search("dog") == []


def test_export_is_markdown_with_every_turn(start_server):
    client = start_server().client
    _, url = _chat(client, "Colors / shades")
    response = client.get(f"{url}/export")
    assert response.headers["content-type"].startswith("text/markdown")
    assert 'filename="Colors   shades.md"' in response.headers["content-disposition"]
    text = response.text
    assert text.startswith("# Colors / shades\n")
    assert "> Be brief." in text
    assert text.index("## You\n\nName three colors.") < text.index("## Assistant\n\nRed, green and turquoise.")


def test_history_survives_a_server_restart(start_server, hearth_home):
    first = start_server()
    cid, url = _chat(first.client)
    first.stop()
    second = start_server(hearth_home)
    messages = second.client.get(url).json()["messages"]
    assert [m["content"] for m in messages] == ["Name three colors.", "Red, green and turquoise."]


def test_a_committed_write_survives_a_crash(tmp_path):
    path = tmp_path / "conversations.db"
    script = (
        "import os, sys; from desktop.conversations.store import ConversationStore;"
        f"s = ConversationStore({str(path)!r}); c = s.create('Crash');"
        "s.add_message(c['id'], 'user', 'still here'); os._exit(9)"
    )
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    store = ConversationStore(path)
    [conversation] = store.all()
    assert store.get(conversation["id"])["messages"][0]["content"] == "still here"
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_old_database_is_migrated_and_its_messages_become_searchable(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    schema.migrate(db, target=1)
    db.execute("INSERT INTO conversations (title, created, updated) VALUES ('Old', 1, 1)")
    db.execute("INSERT INTO messages (conversation_id, role, content, created) VALUES (1, 'user', 'aubergine', 1)")
    db.close()
    store = ConversationStore(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == schema.CURRENT_VERSION
    assert [c["title"] for c in store.search("aubergine")] == ["Old"]


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
    with pytest.raises(StoreError, match="newer Hearth"):
        ConversationStore(path)
