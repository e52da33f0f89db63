"""The model store: atomic imports, the lock, the format marker, and damage detection."""

import functools
import json

import numpy as np
import pytest

from desktop.errors import ModelExists, ModelNotFound, StoreError
from desktop.store import model_store
from desktop.store.lock import StoreLock
from desktop.store.migrations import CURRENT_VERSION
from desktop.store.model_store import ModelStore
from desktop.store.tensor_codec import PlainTensor

WEIGHTS = np.arange(12, dtype=np.float32).reshape(3, 4)


def fill(builder) -> None:
    builder.writer.add("w", PlainTensor("f32", WEIGHTS, "F32"), [3, 4])
    builder.add_file("tokenizer.json", "{}")
    builder.manifest.update(
        name="Test", architecture="llama", config={}, license="mit", source={"kind": "test"},
        quantization="F32", context_length=16,
    )


def add_model(store: ModelStore, model_id: str = "m") -> None:
    with store.new_model(model_id) as builder:
        fill(builder)


def test_import_is_whole_or_absent(hearth_home):
    store = ModelStore()
    assert store.root == hearth_home
    with pytest.raises(RuntimeError), store.new_model("broken") as builder:
        fill(builder)
        raise RuntimeError("importer crashed half way")
    assert store.ids() == [] and list(store.tmp_dir.iterdir()) == []
    add_model(store, "m")
    assert store.ids() == ["m"]
    assert np.array_equal(store.open_model("m").tensor("w"), WEIGHTS)


def test_debris_of_a_crashed_import_is_cleared(tmp_path):
    store = ModelStore(tmp_path / "store")
    debris = store.tmp_dir / "import-crashed"
    debris.mkdir()
    (debris / "weights-00000.bin").write_bytes(b"partial")
    add_model(store)
    assert list(store.tmp_dir.iterdir()) == []
    assert store.ids() == ["m"]


def test_existing_id_and_bad_id_are_refused(tmp_path):
    store = ModelStore(tmp_path / "store")
    add_model(store)
    with pytest.raises(ModelExists, match="already exists"):
        add_model(store)
    with pytest.raises(StoreError, match="not a valid model id"):
        add_model(store, "Bad Id!")
    with pytest.raises(ModelNotFound, match="installed: m"):
        store.manifest("other")


def test_lock_contention(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "store")
    monkeypatch.setattr(model_store, "StoreLock", functools.partial(StoreLock, timeout=0.3))
    with StoreLock(store.lock_path):
        with pytest.raises(StoreError, match="Another Hearth process"):
            add_model(store)
        assert store.ids() == []
    add_model(store)
    assert store.ids() == ["m"]


def test_format_marker_and_migrations(tmp_path):
    root = tmp_path / "store"
    ModelStore(root)
    assert json.loads((root / "store.json").read_text()) == {"format_version": CURRENT_VERSION}
    assert (root / "models").is_dir() and (root / "tmp").is_dir()

    old = tmp_path / "old"
    (old / "models").mkdir(parents=True)  # a store from before the marker existed
    ModelStore(old)
    assert json.loads((old / "store.json").read_text())["format_version"] == CURRENT_VERSION

    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "store.json").write_text(json.dumps({"format_version": CURRENT_VERSION + 1}))
    with pytest.raises(StoreError, match="newer Hearth"):
        ModelStore(newer)


def test_verify_detects_a_corrupted_shard(tmp_path):
    store = ModelStore(tmp_path / "store")
    add_model(store)
    assert store.verify("m") == []
    shard = store.model_dir("m") / "weights-00000.bin"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF  # same size, different content: only the hash can tell
    shard.write_bytes(bytes(data))
    assert store.verify("m") == ["weights-00000.bin does not match its sha256"]
    store.open_model("m")  # loading checks sizes only, so this still opens


def test_open_model_checks_sizes(tmp_path):
    store = ModelStore(tmp_path / "store")
    add_model(store)
    shard = store.model_dir("m") / "weights-00000.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(StoreError, match="damaged .*weights-00000.bin has") as caught:
        store.open_model("m")
    assert "hearth models rm m" in str(caught.value)
    (store.model_dir("m") / "tokenizer.json").unlink()
    assert "tokenizer.json is missing" in store.verify("m")


def test_remove(tmp_path):
    store = ModelStore(tmp_path / "store")
    add_model(store)
    store.remove("m")
    assert store.ids() == [] and not (store.models_dir / "m").exists()
    assert list(store.tmp_dir.iterdir()) == []
    with pytest.raises(ModelNotFound):
        store.remove("m")
