"""`hearth models ...`: list, import, pull, info, verify and remove models in the store."""

import argparse
import json
import sys
from pathlib import Path

from desktop.errors import BadModelFile
from desktop.importers.default_model import ensure_model
from desktop.store.model_store import ModelStore

LIST_KEYS = ("id", "name", "architecture", "quantization", "size_bytes", "license", "source")


def _print_json(value) -> None:
    print(json.dumps(value, indent=1))


def _size(nbytes: int) -> str:
    return f"{nbytes / 1e9:.2f} GB" if nbytes >= 1e9 else f"{nbytes / 1e6:.1f} MB"


def _source_text(source: dict) -> str:
    kind = source.get("kind")
    if kind == "gguf":
        return f"GGUF file {source.get('file')}"
    if kind == "huggingface":
        return f"Hugging Face {source.get('repo_id')}"
    if kind == "embedded":
        return f"built in ({source.get('package')})"
    return str(kind)


def list_models(args) -> int:
    store = ModelStore()
    if not store.ids():
        ensure_model(store, progress=not args.json)
    rows = [{key: m.get(key) for key in LIST_KEYS} for m in store.manifests()]
    if args.json:
        _print_json(rows)
        return 0
    header = ("ID", "NAME", "ARCH", "QUANT", "SIZE", "LICENSE")
    table = [header] + [
        (r["id"], r["name"], r["architecture"], r["quantization"], _size(r["size_bytes"]), r["license"])
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def import_model(args) -> int:
    store = ModelStore()
    path = Path(args.path).expanduser()
    if path.is_dir():
        from desktop.importers.hf_import import import_hf_folder

        manifest = import_hf_folder(store, path, model_id=args.id, progress=True)
    elif path.is_file():
        from desktop.importers.gguf_import import import_gguf

        manifest = import_gguf(store, path, model_id=args.id, progress=True)
    else:
        raise BadModelFile(f"There is no file or folder at {path}; check the path and try again.")
    print(manifest["id"])
    return 0


def pull_model(args) -> int:
    from desktop.importers.hf_hub import pull

    manifest = pull(ModelStore(), args.repo_id, file=args.file, model_id=args.id, progress=True)
    print(manifest["id"])
    return 0


def model_info(args) -> int:
    manifest = ModelStore().manifest(args.id)
    summary = {key: value for key, value in manifest.items() if key != "tensors"}
    if args.json:
        _print_json(summary)
        return 0
    config = manifest["config"]
    lines = [
        f"{manifest['name']} ({manifest['id']})",
        f"  architecture   {manifest['architecture']}: {config['num_layers']} layers, hidden "
        f"{config['hidden_size']}, {config['num_heads']} heads ({config['num_kv_heads']} kv), "
        f"vocabulary {config['vocab_size']}",
        f"  quantization   {manifest['quantization']}",
        f"  context        {manifest['context_length']} tokens",
        f"  size           {_size(manifest['size_bytes'])} in {len(manifest['files'])} files, "
        f"{len(manifest['tensors'])} tensors",
        f"  license        {manifest['license']}",
        f"  source         {_source_text(manifest['source'])}",
        f"  imported       {manifest['created']}",
    ]
    print("\n".join(lines))
    return 0


def verify_model(args) -> int:
    problems = ModelStore().verify(args.id)
    if problems:
        advice = f"remove it with `hearth models rm {args.id}` and import it again"
        print(f"Model '{args.id}' is damaged; {advice}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print("ok")
    return 0


def remove_model(args) -> int:
    ModelStore().remove(args.id)
    print(f"Removed {args.id}.", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="list, import, download and remove models")
    sub = models.add_subparsers(dest="models_command", required=True)

    p = sub.add_parser("list", help="models in the store (imports the built-in one into an empty store)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=list_models)

    p = sub.add_parser("import", help="import a GGUF file or a Hugging Face model folder")
    p.add_argument("path", help="a .gguf file or a folder with config.json and *.safetensors")
    p.add_argument("--id", help="the id to give the model (default: from its name)")
    p.set_defaults(handler=import_model)

    p = sub.add_parser("pull", help="download a model from the Hugging Face hub")
    p.add_argument("repo_id", help="e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF")
    p.add_argument("--file", help="which .gguf file of the repository to take")
    p.add_argument("--id", help="the id to give the model")
    p.set_defaults(handler=pull_model)

    p = sub.add_parser("info", help="what a model is: architecture, size, license, source")
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="print the manifest without its tensor table")
    p.set_defaults(handler=model_info)

    p = sub.add_parser("verify", help="check every file of a model against its sha256")
    p.add_argument("id")
    p.set_defaults(handler=verify_model)

    p = sub.add_parser("rm", help="remove a model from the store")
    p.add_argument("id")
    p.set_defaults(handler=remove_model)
