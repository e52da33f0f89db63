"""The library on disk: add, re-index on change, remove, schema versions, and batches that go on."""

import shutil
import sqlite3
import threading

import pytest

from desktop.documents.batch import add_paths
from desktop.documents.errors import Cancelled, DocumentError
from desktop.documents.library import Library
from desktop.documents.library_schema import CURRENT_VERSION
from desktop.documents.tokens import approximate_counter
from desktop.errors import StoreError


def test_add_list_chunks_and_persistence(library, docs_dir, hearth_home):
    outcome = library.add(docs_dir / "facts.pdf")
    assert outcome.status == "added"
    info = outcome.document
    assert (info.kind, info.pages, info.name) == ("pdf", 20, "facts.pdf")
    assert (library.folder / "library.sqlite3").parent == hearth_home / "documents"
    reopened = Library(token_counter=approximate_counter())
    assert [d.id for d in reopened.documents()] == [info.id]
    chunks = reopened.chunks(info.id)
    assert len(chunks) == info.chunk_count and {c.page for c in chunks} == set(range(1, 21))
    text = reopened.text(info.id)
    assert all(text[c.char_start : c.char_end] == c.text for c in chunks)
    assert all(c.file == str(docs_dir / "facts.pdf") for c in chunks)
    mode = sqlite3.connect(library.db_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_same_file_is_not_indexed_twice_and_a_changed_one_is_reindexed(library, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("# Plans\n\nPlant the apple tree in March.\n", encoding="utf-8")
    first = library.add(note)
    assert library.add(note).status == "unchanged"
    note.write_text("# Plans\n\nPlant the pear tree in April.\n", encoding="utf-8")
    assert [(d.id, why) for d, why in library.changed()] == [(first.document.id, "changed")]
    second = library.add(note)
    assert second.status == "reindexed" and second.document.id == first.document.id
    assert "pear" in library.text(first.document.id) and "apple" not in library.text(first.document.id)
    assert library.bm25("apple") == [] and library.bm25("pear")  # old postings went with the old chunks
    note.unlink()
    assert [why for _, why in library.changed()] == ["missing"]


def test_remove_drops_chunks_and_postings(library, docs_dir):
    doc = library.add(docs_dir / "guide.docx").document
    other = library.add(docs_dir / "garden.md").document
    library.remove(doc.id)
    assert [d.id for d in library.documents()] == [other.id]
    db = sqlite3.connect(library.db_path)
    assert db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id = ?", (doc.id,)).fetchone()[0] == 0
    orphans = "SELECT COUNT(*) FROM postings WHERE chunk_id NOT IN (SELECT id FROM chunks)"
    assert db.execute(orphans).fetchone()[0] == 0
    with pytest.raises(DocumentError, match="no document"):
        library.remove(doc.id)


def test_schema_is_versioned_and_a_newer_one_is_refused(library):
    db = sqlite3.connect(library.db_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    db.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    db.commit()
    with pytest.raises(StoreError, match="newer Hearth"):
        Library(library.folder, token_counter=approximate_counter())


def test_a_folder_of_thousands_goes_on_past_bad_files(library, tmp_path):
    folder = tmp_path / "inbox"
    for group in range(20):
        sub = folder / f"g{group:02}"
        sub.mkdir(parents=True)
        for i in range(100):
            (sub / f"n{i:03}.txt").write_text(f"Note {group}-{i} mentions token{group}x{i}.", encoding="utf-8")
    (folder / "g03" / "n005.txt").write_bytes(b"")
    (folder / "g07" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<")
    (folder / "g11" / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main", encoding="utf-8")
    events = []
    report = add_paths(library, [folder, tmp_path / "missing.pdf"], on_progress=events.append)
    assert len(report.outcomes) == 1999
    assert sorted(p.name for p, _ in report.failures) == ["broken.pdf", "missing.pdf", "n005.txt"]
    assert all(message.count(".") >= 1 and "\n" not in message for _, message in report.failures)
    assert report.skipped == 1  # the PNG; .git is not walked at all
    assert [e.done for e in events] == list(range(1, 2002)) and events[-1].total == 2001
    assert [hit for hit, _ in library.bm25("token13x42")] == [
        library.chunks(next(d.id for d in library.documents() if d.path.endswith("g13/n042.txt")))[0].id
    ]


def test_cancel_stops_between_files_and_keeps_what_is_done(library, tmp_path):
    for i in range(10):
        (tmp_path / f"f{i}.txt").write_text(f"File {i}.", encoding="utf-8")
    cancel = threading.Event()

    def stop_after_three(event):
        if event.done == 3:
            cancel.set()

    report = add_paths(library, [tmp_path], on_progress=stop_after_three, cancel=cancel)
    assert report.cancelled and len(report.outcomes) == 3
    assert len(library.documents()) == 3


def test_a_library_copied_elsewhere_still_answers(library, docs_dir, tmp_path):
    library.add(docs_dir / "otters.html")
    copy = tmp_path / "copy"
    shutil.copytree(library.folder, copy)
    moved = Library(copy, token_counter=approximate_counter())
    assert moved.bm25("favourite stone pouch")


class CancelAfter(threading.Event):
    """An Event the user "sets" after it has been checked `checks` times: cancels mid-document."""

    def __init__(self, checks: int):
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        return self.checks < 0 or super().is_set()


def test_cancel_inside_a_long_pdf_leaves_nothing_half_written(library, docs_dir):
    with pytest.raises(Cancelled, match="at page 5 of 20"):
        library.add(docs_dir / "facts.pdf", cancel=CancelAfter(4))
    assert library.documents() == []
    report = add_paths(library, [docs_dir / "garden.md", docs_dir / "facts.pdf"], cancel=CancelAfter(3))
    assert report.cancelled and [o.document.name for o in report.outcomes] == ["garden.md"]
