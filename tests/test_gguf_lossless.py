"""GGUF import loses nothing: every stored tensor decodes to exactly gguf.quants.dequantize of the source."""

import gguf
import numpy as np
import pytest

from desktop.importers.gguf_import import import_gguf
from desktop.store.model_store import ModelStore
from tests.gguf_fixtures import smollm2_path, write_tiny_gguf

Q = gguf.GGMLQuantizationType
# (type, K, expected stored format, group, zero point); K = 96 gives an odd number of 32-groups.
CASES = [
    (Q.F32, 33, "f32", None, None),
    (Q.F16, 33, "f16", None, None),
    (Q.BF16, 33, "bf16", None, None),
    (Q.Q4_0, 96, "q4", 32, 8),
    (Q.Q4_1, 96, "q4", 32, 0),
    (Q.Q5_0, 96, "q8", 32, 16),
    (Q.Q8_0, 96, "q8", 32, 128),
    (Q.Q4_K, 512, "q4", 32, 0),
    (Q.Q5_K, 256, "q8", 32, 0),
    (Q.Q6_K, 768, "q8", 16, 32),
]
AWKWARD_ROWS = (1, 3, 7)


def reference(reader: gguf.GGUFReader, name: str, shape: list[int]) -> np.ndarray:
    tensor = next(t for t in reader.tensors if t.name == name)
    return gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)


@pytest.mark.parametrize("qtype, k, fmt, group, zero_point", CASES, ids=[c[0].name for c in CASES])
def test_every_supported_type_decodes_exactly(tmp_path, qtype, k, fmt, group, zero_point):
    path = tmp_path / "tiny.gguf"
    names = {f"test.{qtype.name}.rows{rows}": (qtype, rows, k) for rows in AWKWARD_ROWS}
    write_tiny_gguf(path, names, seed=int(qtype))
    store = ModelStore(tmp_path / "store")
    import_gguf(store, path, model_id="tiny", progress=False)
    model = store.open_model("tiny")
    reader = gguf.GGUFReader(path)
    for name, (_, rows, _) in names.items():
        entry = model.manifest["tensors"][name]
        assert entry["shape"] == [rows, k]
        assert (entry["format"], entry.get("group_size"), entry.get("zero_point")) == (fmt, group, zero_point)
        assert entry["source_type"] == qtype.name
        stored = model.tensor(name)
        expected = reference(reader, name, [rows, k])
        assert np.isfinite(expected).all()
        assert np.array_equal(stored, expected), f"{name} differs from gguf.quants.dequantize"


def test_one_dimensional_and_embedding_tensors(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    store = ModelStore(tmp_path / "store")
    import_gguf(store, path, model_id="tiny", progress=False)
    model = store.open_model("tiny")
    reader = gguf.GGUFReader(path)
    assert model.manifest["tensors"]["output_norm.weight"]["shape"] == [64]
    for name in ("output_norm.weight", "token_embd.weight"):
        shape = model.manifest["tensors"][name]["shape"]
        assert np.array_equal(model.tensor(name), reference(reader, name, shape))


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    store = ModelStore(tmp_path_factory.mktemp("smollm2-store"))
    import_gguf(store, smollm2_path(), model_id="smollm2", progress=False)
    return store.open_model("smollm2")


def test_every_tensor_of_the_real_smollm2_file(smollm2):
    reader = gguf.GGUFReader(smollm2_path())
    assert len(smollm2.manifest["tensors"]) == len(reader.tensors) == 272
    for t in reader.tensors:
        shape = smollm2.manifest["tensors"][t.name]["shape"]
        assert shape == [int(d) for d in reversed(t.shape)] or shape == [int(t.shape[0])]
        assert np.array_equal(smollm2.tensor(t.name), reference(reader, t.name, shape)), t.name


def test_smollm2_manifest(smollm2):
    manifest = smollm2.manifest
    config = manifest["config"]
    assert manifest["architecture"] == "llama" and manifest["quantization"] == "Q4_1"
    assert manifest["license"] == "apache-2.0"
    assert manifest["special_tokens"] == {"bos": 1, "eos": [2], "pad": 2}
    assert (config["hidden_size"], config["num_layers"], config["num_heads"], config["num_kv_heads"]) == (
        576, 30, 9, 3,
    )
    assert config["tie_word_embeddings"] and config["rope_pairing"] == "adjacent"
    assert config["vocab_size"] == 49152 and manifest["context_length"] == 8192
    assert (smollm2.folder / "tokenizer.json").stat().st_size > 1_000_000
    assert "<|im_start|>" in (smollm2.folder / "chat_template.jinja").read_text()
