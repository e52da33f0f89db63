"""Importing all-MiniLM-L6-v2: tensors keep their values, and the model stays out of the chat-model store."""

import numpy as np
import pytest
from safetensors.numpy import load_file

from desktop.importers.bert_import import (
    EMBEDDING_MODEL_ID,
    bert_tensor_name,
    embedded_model_folder,
    import_bert_folder,
)
from desktop.store.model_store import ModelStore
from engine.embeddings import embedding_store, ensure_embedding_model


@pytest.mark.parametrize("dtype", ["f32", "f16"])
def test_import_keeps_every_tensor(tmp_path, dtype):
    folder = embedded_model_folder()
    manifest = import_bert_folder(ModelStore(tmp_path), folder, dtype=dtype)
    assert manifest["architecture"] == "bert" and manifest["kind"] == "embedding"
    assert manifest["config"]["num_layers"] == 6 and manifest["config"]["pooling"] == "mean"
    assert manifest["special_tokens"] == {"cls": 101, "sep": 102, "pad": 0}
    model = ModelStore(tmp_path).open_model(EMBEDDING_MODEL_ID)
    source = load_file(str(folder / "model.safetensors"))
    stored = {bert_tensor_name(k): v for k, v in source.items() if bert_tensor_name(k)}
    assert len(stored) == 5 + 6 * 16 == len(manifest["tensors"])
    for name in ("token_embd.weight", "blk.5.ffn_down.weight", "blk.0.attn_q.bias", "position_embd.weight"):
        expected = stored[name]
        if dtype == "f16" and expected.ndim == 2 and name != "position_embd.weight":
            expected = expected.astype(np.float16).astype(np.float32)
        assert np.array_equal(model.tensor(name).reshape(expected.shape), expected), name


def test_ensure_embedding_model_imports_once_outside_the_chat_store(hearth_home):
    assert ensure_embedding_model() == EMBEDDING_MODEL_ID
    created = embedding_store().manifest(EMBEDDING_MODEL_ID)["created"]
    assert ensure_embedding_model() == EMBEDDING_MODEL_ID
    assert embedding_store().manifest(EMBEDDING_MODEL_ID)["created"] == created
    assert ModelStore().ids() == []  # chat-model lists and the default-model choice never see it
