"""Bad GGUF input fails with one sentence saying what to do, and leaves the store as it was."""

import errno

import pytest
from gguf import GGMLQuantizationType

from desktop.errors import BadModelFile, HearthError, ModelExists, StoreError, UnsupportedModel
from desktop.importers.gguf_import import import_gguf
from desktop.store.model_store import ModelStore
from desktop.store.weights_writer import WeightWriter
from tests.gguf_fixtures import write_tiny_gguf

Q = GGMLQuantizationType


def snapshot(store: ModelStore) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(store.root)), p.stat().st_size) for p in store.root.rglob("*"))


@pytest.fixture
def store(tmp_path):
    """A store that already holds one model, so a failed import has something to disturb."""
    store = ModelStore(tmp_path / "store")
    good = tmp_path / "good.gguf"
    write_tiny_gguf(good)
    import_gguf(store, good, model_id="good", progress=False)
    return store


def fails_cleanly(store: ModelStore, path, error: type[HearthError], words: str, **kwargs) -> str:
    before = snapshot(store)
    with pytest.raises(error) as caught:
        import_gguf(store, path, progress=False, **kwargs)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and message.endswith("."), f"not one sentence: {message!r}"
    assert snapshot(store) == before
    return message


def test_truncated_file(store, tmp_path):
    path = tmp_path / "cut.gguf"
    write_tiny_gguf(path, {"blk.0.ffn_up.weight": (Q.Q4_K, 8, 256)})
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 1000])
    fails_cleanly(store, path, BadModelFile, "truncated")
    path.write_bytes(whole[:200])  # cut inside the metadata
    fails_cleanly(store, path, BadModelFile, "truncated")


def test_not_a_gguf(store, tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("these are my notes, not a model")
    fails_cleanly(store, path, BadModelFile, "is not a GGUF file")
    fails_cleanly(store, tmp_path / "absent.gguf", BadModelFile, "no file at")


def test_unsupported_tensor_type(store, tmp_path):
    path = tmp_path / "iq2.gguf"
    write_tiny_gguf(path, {"blk.0.ffn_up.weight": (Q.IQ2_XS, 4, 256)})
    message = fails_cleanly(store, path, UnsupportedModel, "uses IQ2_XS")
    assert "try a Q4_K_M or Q8_0 file" in message


def test_unknown_architecture(store, tmp_path):
    path = tmp_path / "mamba.gguf"
    write_tiny_gguf(path, arch="mamba")
    message = fails_cleanly(store, path, UnsupportedModel, "'mamba'")
    assert "llama, qwen2, qwen3, gemma3" in message


def test_missing_tokenizer(store, tmp_path):
    path = tmp_path / "no-tokenizer.gguf"
    write_tiny_gguf(path, tokenizer=False)
    fails_cleanly(store, path, UnsupportedModel, "missing its tokenizer")


def test_existing_id(store, tmp_path):
    path = tmp_path / "again.gguf"
    write_tiny_gguf(path)
    fails_cleanly(store, path, ModelExists, "already exists", model_id="good")
    assert import_gguf(store, path, progress=False)["id"] == "tiny-test-model"  # named after general.name


def test_full_disk(store, tmp_path, monkeypatch):
    path = tmp_path / "big.gguf"
    write_tiny_gguf(path)

    def no_space(self, blob):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(WeightWriter, "_write_part", no_space)
    fails_cleanly(store, path, StoreError, "is full", model_id="big")


def test_corrupted_shard_is_reported_by_verify(store):
    assert store.verify("good") == []
    shard = store.model_dir("good") / "weights-00000.bin"
    data = bytearray(shard.read_bytes())
    data[300] ^= 0x01
    shard.write_bytes(bytes(data))
    assert store.verify("good") == ["weights-00000.bin does not match its sha256"]
