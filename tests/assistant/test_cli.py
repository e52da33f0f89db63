"""`hearth summarize` and `hearth ask` with the scripted model in place of the GPU session: stdout holds
only the JSON with --json, progress goes to stderr, files join the library, bad files are reported
and the rest go on, and nothing readable is exit 1."""

import json

import pytest

from desktop.cli import ask_cmd, summarize_cmd
from desktop.cli.main import main
from desktop.documents import dense as dense_module
from desktop.documents.library import Library
from desktop.documents.tokens import approximate_counter
from tests.assistant.fake_model import FakeModel
from tests.documents.fake_embedder import FakeEmbedder

PARTS = 40


@pytest.fixture
def fake(monkeypatch):
    library = Library(token_counter=approximate_counter(), max_tokens=64, overlap_tokens=8)

    def script(call):
        if "This is section" in call.user:
            return "notes on this section"
        if "Question:" in call.user:
            return "The gate is blue [1]."
        return "A summary of the minutes."

    model = FakeModel(script, context=500)
    monkeypatch.setattr(dense_module, "_default_embedder", FakeEmbedder)  # no GPU needed
    for module in (summarize_cmd, ask_cmd):
        monkeypatch.setattr(module, "model_and_library", lambda model_id, progress=True: (None, "fake", library))
        monkeypatch.setattr(module, "session_model", lambda store, model_id, context, sampling: model)
    return model


@pytest.fixture
def minutes(tmp_path):
    path = tmp_path / "minutes.md"
    parts = "\n\n".join(f"## Part {k}\n\nItem {k} was discussed at length by the council." for k in range(PARTS))
    path.write_text(f"# Minutes\n\n{parts}\n\nThe garden gate is blue.\n", encoding="utf-8")
    return path


def test_summarize_json_with_progress_on_stderr(fake, minutes, capsys):
    assert main(["summarize", str(minutes), "--style", "bullets", "--json", "--max-tokens", "30"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["summary"] == "A summary of the minutes." and result["style"] == "bullets"
    assert result["method"] == "map_reduce" and result["documents"] == ["minutes.md"]
    lines = err.splitlines()
    sections = result["sections"]
    assert [line for line in lines if line.startswith("section ")] == [
        f"section {k} of {sections}" for k in range(1, sections + 1)
    ]
    assert lines[-1] == "writing the summary"


def test_summarize_streams_text_to_stdout(fake, minutes, capsys):
    assert main(["summarize", str(minutes), "--max-tokens", "30"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "A summary of the minutes."
    assert "brief summary of minutes.md" in err


def test_ask_json_and_a_bad_file_in_the_batch(fake, minutes, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code = main(
        ["ask", str(minutes), str(empty), str(tmp_path / "nowhere.pdf"), "--question", "Gate colour?", "--json"]
    )
    out, err = capsys.readouterr()
    assert code == 0
    result = json.loads(out)
    assert result["answer"] == "The gate is blue [1]." and result["cited"] is True
    assert result["citations"][0]["file"] == str(minutes.resolve())
    assert "blue" in result["citations"][0]["quote"]
    assert "empty.txt" in err and "nowhere.pdf" in err


def test_ask_with_nothing_readable_is_exit_1(fake, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert main(["ask", str(empty), "--question", "Anything?"]) == 1
    assert "None of the files could be read" in capsys.readouterr().err


def test_ask_embeds_the_documents_at_the_first_question_with_progress(fake, minutes, capsys):
    assert main(["ask", str(minutes), "--question", "Gate colour?", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["citations"] and "embedding minutes.md for search: 0 of " in err
    chunks = len(Library().chunks(1))  # the library the fixture made, in HEARTH_HOME
    assert f"embedding minutes.md for search: {chunks} of {chunks} passages" in err
    assert main(["ask", str(minutes), "--question", "Gate colour?", "--json"]) == 0
    assert "embedding" not in capsys.readouterr().err  # the vectors were cached in the library


def test_ask_without_an_embedding_engine_ranks_with_bm25_and_says_why_once(fake, minutes, capsys, monkeypatch):
    from desktop.errors import EngineError

    def no_adapter():
        raise EngineError("No GPU adapter was found (test); install a Vulkan driver.")

    monkeypatch.setattr(dense_module, "_default_embedder", no_adapter)
    assert main(["ask", str(minutes), "--question", "What colour is the garden gate?", "--json"]) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["answer"] == "The gate is blue [1]." and "garden gate is blue" in result["citations"][0]["quote"]
    assert err.count("Searching the documents by keywords only (BM25): No GPU adapter was found") == 1
