"""`hearth docs add | list | rm` through the real command-line entry point."""

import json

import pytest

from desktop.cli.main import main
from desktop.documents import dense as dense_module
from desktop.documents import library as library_module
from desktop.documents.tokens import approximate_counter
from desktop.errors import EngineError
from tests.documents.fake_embedder import FakeEmbedder


@pytest.fixture(autouse=True)
def quick_tokenizer(monkeypatch):
    # The built-in tokenizer takes seconds to read from its GGUF; test_chunker covers it.
    monkeypatch.setattr(library_module, "model_token_counter", approximate_counter)


@pytest.fixture(autouse=True)
def embedder(monkeypatch):
    # Real embeddings cost seconds per passage on lavapipe; tests/embeddings covers them.
    fake = FakeEmbedder()
    monkeypatch.setattr(dense_module, "_default_embedder", lambda: fake)
    return fake


def cached_vectors(hearth_home) -> list[str]:
    return sorted(p.name.split("-")[0] for p in (hearth_home / "documents" / "embeddings").glob("*.npy"))


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


def test_add_embeds_the_passages_and_rm_drops_their_vectors(capsys, docs_dir, hearth_home, embedder):
    status, out, err = run(capsys, "docs", "add", str(docs_dir / "garden.md"), str(docs_dir / "facts.pdf"), "--json")
    result = json.loads(out)
    ids = [d["id"] for d in result["documents"]]
    assert status == 0 and result["embeddings"] == {"documents": 2, "unavailable": None}
    assert cached_vectors(hearth_home) == sorted(f"doc{i}" for i in ids)
    facts = result["documents"][1]
    assert f"embedding facts.pdf for search: {facts['chunk_count']} of {facts['chunk_count']} passages" in err
    assert sum(len(call) for call in embedder.calls) == sum(d["chunk_count"] for d in result["documents"])
    calls = len(embedder.calls)
    run(capsys, "docs", "add", str(docs_dir / "facts.pdf"))
    assert len(embedder.calls) == calls  # unchanged documents keep their vectors
    run(capsys, "docs", "rm", str(ids[0]))
    assert cached_vectors(hearth_home) == [f"doc{ids[1]}"]


def test_add_without_embeddings_or_without_an_engine(capsys, docs_dir, hearth_home, monkeypatch):
    status, out, _ = run(capsys, "docs", "add", str(docs_dir / "garden.md"), "--no-embeddings", "--json")
    assert status == 0 and json.loads(out)["embeddings"] == {"documents": 0, "unavailable": None}
    assert not (hearth_home / "documents" / "embeddings").exists()

    def no_adapter():
        raise EngineError("No GPU adapter was found (test); install a Vulkan driver.")

    monkeypatch.setattr(dense_module, "_default_embedder", no_adapter)
    status, out, err = run(capsys, "docs", "add", str(docs_dir / "garden.md"), str(docs_dir / "otters.html"))
    assert status == 0 and err.count("by keywords only (BM25): No GPU adapter was found") == 1
