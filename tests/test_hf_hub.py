"""Pulling models from a fake Hugging Face hub on 127.0.0.1 (HF_ENDPOINT): files, auth, resume, cleanup."""

import socket

import numpy as np
import pytest

from desktop.errors import DownloadError, UnsupportedModel
from desktop.importers.hf_hub import RESUMES_PER_FILE, pull
from desktop.store.model_store import ModelStore
from tests.fake_hub import FakeHub
from tests.tiny_hf_models import write_model

REPO = "org/Tiny-Llama"
JUNK = {  # files a real repo carries that an import does not need
    "pytorch_model.bin": b"\0" * 5000,
    "consolidated.safetensors": b"\0" * 5000,  # Mistral-style duplicate, not in the shard index
    "original/params.json": b"{}",
    ".gitattributes": b"*.safetensors filter=lfs\n",
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub") / "Tiny-Llama"
    state = write_model(folder, "llama", "float16", max_shard_size="40KB")
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# Tiny\n")
    return folder, state


@pytest.fixture
def hub(monkeypatch):
    with FakeHub() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield fake


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path / "home")


def _shards(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("model-*.safetensors"))


def test_pull_fetches_only_what_the_import_needs_and_removes_the_download(hub, store, checkpoint):
    folder, state = checkpoint
    repo = hub.add_repo(REPO, folder, files=JUNK)

    manifest = pull(store, REPO, progress=False)

    assert manifest["id"] == "tiny-llama" and manifest["license"] == "mit"
    assert manifest["source"] == {"kind": "huggingface", "repo_id": REPO, "revision": repo.commit}
    expected = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "README.md", "model.safetensors.index.json", *_shards(folder)}
    assert len(_shards(folder)) > 1
    assert hub.downloaded() == expected
    embedding = store.open_model("tiny-llama").tensor("token_embd.weight")
    original = state["model.embed_tokens.weight"]
    assert np.abs(embedding - original).max() <= np.abs(original).max() / 127 / 2 * 1.01
    assert not (store.root / "downloads" / "org--Tiny-Llama").exists()


def test_gated_repo_needs_a_token(hub, store, checkpoint, monkeypatch):
    hub.add_repo(REPO, checkpoint[0], token="hf_right")

    with pytest.raises(DownloadError, match="set HF_TOKEN to a token that can read it"):
        pull(store, REPO, progress=False)
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(DownloadError, match="HF_TOKEN"):
        pull(store, REPO, progress=False)
    assert store.ids() == []

    monkeypatch.setenv("HF_TOKEN", "hf_right")
    assert pull(store, REPO, progress=False)["id"] == "tiny-llama"


def test_an_interrupted_download_resumes_on_the_next_run(hub, store, checkpoint):
    folder, _ = checkpoint
    hub.add_repo(REPO, folder)
    shard = _shards(folder)[0]
    size = (folder / shard).stat().st_size
    hub.cut_offs[shard] = RESUMES_PER_FILE + 1  # more cuts than one run retries

    with pytest.raises(DownloadError, match="run the same command again to resume"):
        pull(store, REPO, progress=False)
    first_run = hub.bytes_served[shard]
    assert 0 < first_run < size and store.ids() == []

    pull(store, REPO, progress=False)
    second_run = hub.bytes_served[shard] - first_run
    assert second_run == size - first_run  # only the missing tail came the second time
    assert store.ids() == ["tiny-llama"]


def test_a_single_cut_is_resumed_within_the_run(hub, store, checkpoint):
    folder, _ = checkpoint
    hub.add_repo(REPO, folder)
    shard = _shards(folder)[-1]
    hub.cut_offs[shard] = 1

    pull(store, REPO, progress=False)

    assert hub.bytes_served[shard] == (folder / shard).stat().st_size
    assert store.ids() == ["tiny-llama"]


def test_gguf_only_repo_says_which_file_to_pass(hub, store):
    hub.add_repo("org/Tiny-GGUF", files={"tiny-Q4_K_M.gguf": b"GGUF" + b"\0" * 100, "README.md": b"# x"})

    with pytest.raises(DownloadError, match="--file with one of its GGUF files: tiny-Q4_K_M.gguf"):
        pull(store, "org/Tiny-GGUF", progress=False)
    assert hub.downloaded() == set()


def test_file_downloads_that_gguf_alone_and_hands_it_to_the_gguf_importer(hub, store, monkeypatch):
    from desktop.importers import gguf_import

    payload = b"GGUF" + bytes(range(256)) * 10
    files = {"tiny-Q4_K_M.gguf": payload, "other-Q8_0.gguf": b"GGUF", "README.md": b""}
    hub.add_repo("org/Tiny-GGUF", files=files)
    received = {}

    def fake_import_gguf(store_arg, path, model_id=None, progress=True, overrides=None):
        received.update(content=path.read_bytes(), model_id=model_id, source=overrides["source"])
        return {"id": "tiny"}

    monkeypatch.setattr(gguf_import, "import_gguf", fake_import_gguf)
    pull(store, "org/Tiny-GGUF", file="tiny-Q4_K_M.gguf", model_id="tiny", progress=False)

    assert received["content"] == payload and received["model_id"] == "tiny"
    assert received["source"] == {"kind": "huggingface", "repo_id": "org/Tiny-GGUF",
                                  "revision": hub.repos["org/Tiny-GGUF"].commit, "file": "tiny-Q4_K_M.gguf"}
    assert hub.downloaded() == {"tiny-Q4_K_M.gguf"}
    assert not (store.root / "downloads" / "org--Tiny-GGUF").exists()


def test_unsupported_architecture_fails_before_the_weights_download(hub, store, tmp_path):
    write_model(tmp_path / "gpt2", "gpt2")
    hub.add_repo("org/gpt2", tmp_path / "gpt2")

    with pytest.raises(UnsupportedModel, match="GPT2"):
        pull(store, "org/gpt2", progress=False)
    assert not any(name.endswith(".safetensors") for name in hub.downloaded())
    assert not (store.root / "downloads" / "org--gpt2").exists() and store.ids() == []


def test_missing_repo_and_unreachable_hub(hub, store, monkeypatch):
    with pytest.raises(DownloadError, match="org/nothing was not found"):
        pull(store, "org/nothing", progress=False)

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match="Could not reach .*check the connection"):
        pull(store, "org/anything", progress=False)
    assert store.ids() == []
