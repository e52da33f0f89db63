"""Imports a Hugging Face model folder (config.json, tokenizer.json, *.safetensors) into the store.

Matrices are quantised on the way in (q4, group 32; the embedding table and LM head q8), one
tensor at a time so memory stays near the size of the largest tensor.
"""

import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from desktop.errors import BadModelFile
from desktop.importers.hf_config import hf_tensor_name, normalize_hf_config
from desktop.importers.quantize import (
    MANIFEST_QUANTIZATION,
    choose_storage,
    quantize_q4,
    quantize_q8,
)
from desktop.importers.safetensors_files import TensorRecord, safetensors_paths, tensor_records
from desktop.store.model_store import ModelStore, slugify
from desktop.store.tensor_codec import PlainTensor, QuantizedTensor

BLOCK_ELEMENTS = 1 << 24  # 64 MiB of f32 per quantisation block


def _read_json(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise BadModelFile(f"{path} is not valid JSON; download the model again.") from e


def chat_template(folder: Path, tokenizer_config: dict) -> str | None:
    """chat_template.jinja if present, else tokenizer_config's template (a string, or a named list)."""
    jinja = folder / "chat_template.jinja"
    if jinja.exists():
        return jinja.read_text(encoding="utf-8")
    template = tokenizer_config.get("chat_template")
    if isinstance(template, list):
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default") or next(iter(named.values()), None)
    return template if isinstance(template, str) else None


def license_of(folder: Path) -> str:
    """The `license:` line of README.md's YAML front matter, else "unknown"."""
    readme = folder / "README.md"
    if not readme.exists():
        return "unknown"
    lines = readme.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip() != "---":
        return "unknown"
    for line in lines[1:]:
        if line.strip() == "---":
            break
        key, _, value = line.partition(":")
        if key.strip() == "license" and value.strip():
            return value.strip().strip("'\"")
    return "unknown"


def _ids(value) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in value] if isinstance(value, list) else [int(value)]


def special_tokens(config: dict, generation: dict, tokenizer_config: dict, tokenizer_json: str) -> dict:
    """bos/eos/pad ids: generation_config, then config.json, then tokenizer_config's token strings.

    eos is the union of all three: instruct models often end turns with a token (<|im_end|>,
    <|eot_id|>) that only one of the files names.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_json)

    def token_id(key: str) -> int | None:
        token = tokenizer_config.get(key)
        if isinstance(token, dict):
            token = token.get("content")
        return tokenizer.token_to_id(token) if isinstance(token, str) else None

    def first(key: str) -> int | None:
        for source in (generation, config):
            ids = _ids(source.get(f"{key}_token_id"))
            if ids:
                return ids[0]
        return token_id(f"{key}_token")

    eos = _ids(generation.get("eos_token_id")) + _ids(config.get("eos_token_id"))
    eos += _ids(token_id("eos_token"))
    return {"bos": first("bos"), "eos": list(dict.fromkeys(eos)), "pad": first("pad")}


def _quantize_in_row_blocks(record: TensorRecord, quantize) -> QuantizedTensor:
    """Quantises row slices of BLOCK_ELEMENTS so no f32 copy of a whole large matrix exists at once."""
    n, k = record.shape
    rows = max(1, BLOCK_ELEMENTS // k)
    blocks = [quantize(record.read_f32(first, first + rows)) for first in range(0, n, rows)]
    tensor = blocks[0]
    tensor.codes = np.concatenate([b.codes for b in blocks])
    tensor.scales = np.concatenate([b.scales for b in blocks])
    if tensor.mins is not None:
        tensor.mins = np.concatenate([b.mins for b in blocks])
    return tensor


def _store_tensor(writer, name: str, record: TensorRecord) -> None:
    storage = choose_storage(name, record.shape)
    if storage in ("q4", "q8"):
        tensor = _quantize_in_row_blocks(record, quantize_q4 if storage == "q4" else quantize_q8)
    else:
        dtype = np.float32 if storage == "f32" else np.float16
        tensor = PlainTensor(storage, record.read_f32().astype(dtype), record.dtype)
    tensor.source_type = record.dtype
    writer.add(name, tensor, record.shape)


def _check_complete(names: set[str], config: dict, folder: Path) -> None:
    needed = ["token_embd.weight", "output_norm.weight"]
    needed += [f"blk.{i}.attn_q.weight" for i in range(config["num_layers"])]
    missing = [n for n in needed if n not in names]
    if missing:
        raise BadModelFile(f"The checkpoint in {folder} lacks {missing[0]}; download the model again.")


def import_hf_folder(store: ModelStore, folder, model_id: str | None = None, progress: bool = True,
                     source: dict | None = None) -> dict:
    """Imports a Hugging Face model folder; returns the manifest. The store is unchanged on error."""
    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise BadModelFile(f"{folder} has no config.json; point Hearth at a Hugging Face model folder.")
    hf_config = _read_json(folder / "config.json")
    architecture, config = normalize_hf_config(hf_config)
    if not (folder / "tokenizer.json").exists():
        raise BadModelFile(
            f"{folder} has no tokenizer.json; Hearth needs the fast tokenizer file most hub repos include."
        )
    tokenizer_json = (folder / "tokenizer.json").read_text(encoding="utf-8")
    tokenizer_config = _read_json(folder / "tokenizer_config.json")
    paths = safetensors_paths(folder)
    if not paths:
        hint = " (it has a .gguf file: import that instead)" if any(folder.glob("*.gguf")) else ""
        raise BadModelFile(f"{folder} has no *.safetensors weights{hint}; download the full model.")
    records = []
    for record in tensor_records(paths):
        name = hf_tensor_name(record.name, architecture)
        if name == "output.weight" and config["tie_word_embeddings"]:
            continue  # a tied head is the embedding table, which the engine already reads
        if name is not None:
            records.append((name, record))
    _check_complete({name for name, _ in records}, config, folder)
    config["tie_word_embeddings"] = not any(name == "output.weight" for name, _ in records)

    source = source or {"kind": "huggingface", "path": str(folder.resolve())}
    display_name = source.get("repo_id", folder.name).rsplit("/", 1)[-1]
    model_id = model_id or slugify(display_name)
    with store.new_model(model_id) as builder:
        for name, record in tqdm(records, desc=f"Importing {display_name}", unit="tensor",
                                 file=sys.stderr, disable=not progress):
            _store_tensor(builder.writer, name, record)
        builder.add_file("tokenizer.json", tokenizer_json)
        template = chat_template(folder, tokenizer_config)
        if template:
            builder.add_file("chat_template.jinja", template)
        generation = _read_json(folder / "generation_config.json")
        builder.manifest.update({
            "name": display_name,
            "architecture": architecture,
            "config": config,
            "context_length": config["max_position_embeddings"],
            "quantization": MANIFEST_QUANTIZATION,
            "license": license_of(folder),
            "source": source,
            "special_tokens": special_tokens(hf_config, generation, tokenizer_config, tokenizer_json),
        })
    return store.manifest(model_id)
