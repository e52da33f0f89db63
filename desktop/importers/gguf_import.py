"""Imports a GGUF file into the store: config, every tensor losslessly, tokenizer and chat template."""

import sys
from collections import Counter
from pathlib import Path

import gguf
from tqdm import tqdm

from desktop.errors import BadModelFile, ModelExists, UnsupportedModel
from desktop.importers.gguf_config import config_from_gguf, field
from desktop.importers.gguf_tensors import check_supported, convert, stored_shape
from desktop.store.model_store import ModelStore, check_id, slugify

GGUF_MAGIC = b"GGUF"


def open_gguf(path: Path) -> gguf.GGUFReader:
    """A reader over a file that really is a whole GGUF, or BadModelFile saying what is wrong."""
    if not path.is_file():
        raise BadModelFile(f"There is no file at {path}; check the path and try again.")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise BadModelFile(
            f"{path.name} is not a GGUF file; import a .gguf file or a Hugging Face model folder."
        )
    try:
        reader = gguf.GGUFReader(path)
    except Exception as e:  # the reader fails in many ways on a cut-off header; the cause stays chained
        raise BadModelFile(f"{path.name} is truncated or damaged; download it again.") from e
    size = path.stat().st_size
    for t in reader.tensors:
        if t.data_offset + t.n_bytes > size:
            raise BadModelFile(
                f"{path.name} is truncated (tensor {t.name} runs past its end); download it again."
            )
    return reader


def dominant_type(reader: gguf.GGUFReader) -> str:
    """The source type holding most matrix weights: what people call the file's quantization."""
    counts = Counter()
    for t in reader.tensors:
        if len(t.shape) > 1:
            counts[t.tensor_type.name] += int(t.n_elements)
    return counts.most_common(1)[0][0] if counts else "F32"


def special_tokens(reader: gguf.GGUFReader) -> dict:
    eos = []
    for key in ("eos_token_id", "eot_token_id", "eom_token_id"):
        token = field(reader, f"tokenizer.ggml.{key}")
        if token is not None and int(token) not in eos:
            eos.append(int(token))
    bos = field(reader, "tokenizer.ggml.bos_token_id")
    pad = field(reader, "tokenizer.ggml.padding_token_id")
    return {"bos": None if bos is None else int(bos), "eos": eos, "pad": None if pad is None else int(pad)}


def _tokenizer_files(reader: gguf.GGUFReader, path: Path) -> tuple[str, str | None]:
    if "tokenizer.ggml.tokens" not in reader.fields:
        raise UnsupportedModel(
            f"{path.name} is missing its tokenizer (no tokenizer.ggml metadata); use a GGUF made by a "
            "recent llama.cpp converter."
        )
    from desktop.importers.gguf_tokenizer import chat_template_from_gguf, tokenizer_json_from_gguf

    return tokenizer_json_from_gguf(reader), chat_template_from_gguf(reader)


def import_gguf(
    store: ModelStore,
    path: str | Path,
    model_id: str | None = None,
    progress: bool = True,
    overrides: dict | None = None,
) -> dict:
    """Imports the GGUF at `path`; returns the manifest. `overrides` replaces manifest keys (name, ...)."""
    path = Path(path).expanduser()
    reader = open_gguf(path)
    architecture, config = config_from_gguf(reader)
    for t in reader.tensors:
        check_supported(t.name, t.tensor_type)
    name = (overrides or {}).get("name") or field(reader, "general.name") or path.stem
    model_id = model_id or slugify(name)
    check_id(model_id)
    if store.exists(model_id):  # fail before the slow part; new_model checks again under the lock
        raise ModelExists(
            f"A model with id '{model_id}' already exists; pass --id to choose another or "
            f"`hearth models rm {model_id}` first."
        )
    tokenizer_json, chat_template = _tokenizer_files(reader, path)

    with store.new_model(model_id) as builder:
        total = sum(int(t.n_bytes) for t in reader.tensors)
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=f"Importing {model_id}", file=sys.stderr,
            disable=not progress,
        ) as bar:
            for t in reader.tensors:
                ne = [int(d) for d in t.shape]
                tensor, shape = convert(t.name, t.tensor_type, ne, t.data)
                assert shape == stored_shape(ne)
                builder.writer.add(t.name, tensor, shape)
                bar.update(int(t.n_bytes))
        builder.add_file("tokenizer.json", tokenizer_json)
        if chat_template:
            builder.add_file("chat_template.jinja", chat_template)
        builder.manifest.update(
            {
                "name": name,
                "architecture": architecture,
                "config": config,
                "context_length": config["max_position_embeddings"],
                "quantization": dominant_type(reader),
                "license": str(field(reader, "general.license") or "unknown"),
                "source": {"kind": "gguf", "path": str(path.resolve()), "file": path.name},
                "special_tokens": special_tokens(reader),
            }
        )
        builder.manifest.update(overrides or {})
    return builder.manifest
