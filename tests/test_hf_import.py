"""Hugging Face folder import: tiny random checkpoints in f32/f16/bf16 → store → decoded tensors."""

import numpy as np
import pytest

from desktop.errors import BadModelFile, UnsupportedModel
from desktop.importers import hf_import
from desktop.importers.hf_config import hf_tensor_name
from desktop.importers.hf_import import chat_template, import_hf_folder
from desktop.store.model_store import ModelStore
from tests.tiny_hf_models import CHAT_TEMPLATE, write_model

ARCHITECTURES = ["llama", "qwen2", "qwen3", "gemma3"]
DTYPES = ["float32", "float16", "bfloat16"]
GROUP = 32


def _groups(w: np.ndarray) -> np.ndarray:
    return w.reshape(w.shape[0], -1, GROUP)


def _assert_q4_close(original: np.ndarray, decoded: np.ndarray, name: str) -> None:
    # Half a quantisation step of each group's own range (f16 rounding of scale/min adds < 1 %).
    groups = _groups(original)
    half_step = (groups.max(axis=2) - groups.min(axis=2)) / 15 / 2
    error = np.abs(_groups(decoded) - groups)
    assert (error <= half_step[..., None] * 1.01 + 1e-7).all(), f"{name}: q4 error {error.max()}"


def _assert_q8_close(original: np.ndarray, decoded: np.ndarray, name: str) -> None:
    groups = _groups(original)
    half_step = np.abs(groups).max(axis=2) / 127 / 2
    error = np.abs(_groups(decoded) - groups)
    assert (error <= half_step[..., None] * 1.01 + 1e-9).all(), f"{name}: q8 error {error.max()}"


def _expected_format(name: str, shape: tuple) -> str:
    if len(shape) == 1:
        return "f32"
    if shape[1] % GROUP:
        return "f16"
    return "q8" if name in ("token_embd.weight", "output.weight") else "q4"


def _store_is_empty(store: ModelStore) -> bool:
    return store.ids() == [] and list(store.tmp_dir.iterdir()) == []


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_import_matches_the_checkpoint(tmp_path, monkeypatch, architecture, dtype):
    monkeypatch.setattr(hf_import, "BLOCK_ELEMENTS", 64 * 7)  # several uneven row blocks per matrix
    folder = tmp_path / f"Tiny-{architecture}"
    state = write_model(folder, architecture, dtype)
    store = ModelStore(tmp_path / "home")

    manifest = import_hf_folder(store, folder, progress=False)

    assert manifest["id"] == f"tiny-{architecture}"
    assert manifest["architecture"] == architecture
    assert manifest["quantization"] == "q4g32"
    assert manifest["context_length"] == 256
    assert manifest["config"]["num_layers"] == 2
    tied = architecture != "llama"
    assert manifest["config"]["tie_word_embeddings"] is tied
    assert manifest["special_tokens"] == {"bos": None, "eos": [2], "pad": 0}
    assert manifest["source"]["kind"] == "huggingface"
    model_dir = store.model_dir(manifest["id"])
    assert (model_dir / "chat_template.jinja").read_text() == CHAT_TEMPLATE
    assert (model_dir / "tokenizer.json").read_bytes() == (folder / "tokenizer.json").read_bytes()

    model = store.open_model(manifest["id"])
    expected = {}
    for hf_name, values in state.items():
        name = hf_tensor_name(hf_name, architecture)
        if name and not (tied and name == "output.weight"):
            expected[name] = values
    assert set(manifest["tensors"]) == set(expected)
    formats = set()
    for name, original in expected.items():
        entry = manifest["tensors"][name]
        assert entry["format"] == _expected_format(name, original.shape), name
        assert entry["shape"] == list(original.shape)
        decoded = model.tensor(name)
        formats.add(entry["format"])
        if entry["format"] == "q4":
            _assert_q4_close(original, decoded, name)
        elif entry["format"] == "q8":
            _assert_q8_close(original, decoded, name)
        elif entry["format"] == "f16":
            np.testing.assert_allclose(decoded, original, rtol=2**-11, atol=6e-8, err_msg=name)
        else:
            np.testing.assert_array_equal(decoded, original, err_msg=name)
    assert formats == {"q4", "q8", "f16", "f32"}


def test_sharded_checkpoint_and_readme_license(tmp_path):
    folder = tmp_path / "Sharded"
    state = write_model(folder, "qwen2", "bfloat16", max_shard_size="30KB")
    assert len(list(folder.glob("*.safetensors"))) > 1 and (folder / "model.safetensors.index.json").exists()
    (folder / "README.md").write_text("---\nlibrary_name: transformers\nlicense: apache-2.0\n---\n# S\n")
    store = ModelStore(tmp_path / "home")

    manifest = import_hf_folder(store, folder, model_id="my-qwen", progress=False)

    assert manifest["id"] == "my-qwen" and manifest["license"] == "apache-2.0"
    embedding = store.open_model("my-qwen").tensor("token_embd.weight")
    _assert_q8_close(state["model.embed_tokens.weight"], embedding, "token_embd.weight")
    assert len(manifest["tensors"]) == len(state) - 1  # the tied lm_head is not stored twice


def test_missing_tokenizer_is_a_clear_error_and_leaves_the_store_alone(tmp_path):
    folder = tmp_path / "NoTokenizer"
    write_model(folder, "llama", tokenizer=False)
    store = ModelStore(tmp_path / "home")

    with pytest.raises(BadModelFile, match="no tokenizer.json"):
        import_hf_folder(store, folder, progress=False)

    assert _store_is_empty(store)


def test_unsupported_architecture_is_a_clear_error_and_leaves_the_store_alone(tmp_path):
    folder = tmp_path / "gpt2"
    write_model(folder, "gpt2")
    store = ModelStore(tmp_path / "home")

    with pytest.raises(UnsupportedModel, match="GPT2.*supported: Llama"):
        import_hf_folder(store, folder, progress=False)

    assert _store_is_empty(store)


def test_chat_template_sources(tmp_path):
    named = [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]
    assert chat_template(tmp_path, {"chat_template": named}) == "D"
    assert chat_template(tmp_path, {"chat_template": "S"}) == "S"
    assert chat_template(tmp_path, {}) is None
    (tmp_path / "chat_template.jinja").write_text("J")
    assert chat_template(tmp_path, {"chat_template": "S"}) == "J"


def test_truncated_weights_are_reported(tmp_path):
    folder = tmp_path / "Truncated"
    write_model(folder, "llama")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    store = ModelStore(tmp_path / "home")

    with pytest.raises(BadModelFile, match="truncated"):
        import_hf_folder(store, folder, progress=False)

    assert _store_is_empty(store)
