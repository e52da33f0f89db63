"""`hearth docs add | list | rm` through the real command-line entry point."""

import json

import pytest

from desktop.cli.main import main
from desktop.documents import library as library_module
from desktop.documents.tokens import approximate_counter


@pytest.fixture(autouse=True)
def quick_tokenizer(monkeypatch):
    # The built-in tokenizer takes seconds to read from its GGUF; test_chunker covers it.
    monkeypatch.setattr(library_module, "model_token_counter", approximate_counter)


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_add_reports_each_file_and_goes_on(capsys, docs_dir):
    status, out, err = run(capsys, "docs", "add", str(docs_dir), "--json")
    assert status == 0
    result = json.loads(out)  # stdout is one JSON document and nothing else
    added = {d["name"]: d for d in result["documents"]}
    assert {"facts.pdf", "guide.docx", "voyages.epub", "otters.html", "garden.md", "latin1.txt"} <= set(added)
    assert added["really-html.pdf"]["kind"] == "html" and "not a PDF" in added["really-html.pdf"]["notes"][0]
    failed = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in result["failed"]}
    assert set(failed) == {"locked.pdf", "scan.pdf", "truncated.pdf", "empty.txt"}
    assert "no text layer" in failed["scan.pdf"]
    total = len(added) + len(failed)
    assert f"[{total}/{total}]" in err and "scan.pdf: failed: " in err
    status, out, err = run(capsys, "docs", "add", str(docs_dir / "facts.pdf"))
    assert status == 0 and "facts.pdf: unchanged" in err and out == ""


def test_add_fails_only_when_nothing_could_be_added(capsys, docs_dir, tmp_path):
    status, out, err = run(capsys, "docs", "add", str(docs_dir / "empty.txt"), str(tmp_path / "nope.pdf"))
    assert status == 1
    assert "empty.txt is empty" in err and "There is no file or folder at" in err
    status, _, _ = run(capsys, "docs", "add", str(docs_dir / "empty.txt"), str(docs_dir / "garden.md"))
    assert status == 0


def test_list_and_remove(capsys, docs_dir):
    run(capsys, "docs", "add", str(docs_dir / "garden.md"), str(docs_dir / "facts.pdf"))
    status, out, _ = run(capsys, "docs", "list", "--json")
    listed = json.loads(out)
    assert status == 0 and [d["name"] for d in listed] == ["garden.md", "facts.pdf"]
    assert listed[1]["pages"] == 20 and listed[0]["pages"] is None and listed[1]["chunk_count"] >= 20
    status, out, _ = run(capsys, "docs", "list")
    assert status == 0 and "facts.pdf" in out and out.splitlines()[0].split()[:3] == ["ID", "NAME", "KIND"]
    status, _, err = run(capsys, "docs", "rm", str(listed[0]["id"]))
    assert status == 0 and "garden.md" in err
    _, out, _ = run(capsys, "docs", "list", "--json")
    assert [d["name"] for d in json.loads(out)] == ["facts.pdf"]
    status, _, err = run(capsys, "docs", "rm", "999")
    assert status == 1 and err.strip().endswith("see `hearth docs list`.")
