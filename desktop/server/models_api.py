"""/api/models, /api/catalog and /api/jobs: the model manager's JSON API (docs/api.md).

Imports and downloads run as background jobs (desktop/server/jobs.py) that the UI polls.
"""

import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from desktop import resources
from desktop.errors import BadModelFile, ModelNotFound
from desktop.importers.default_model import DEFAULT_MODEL_ID
from desktop.server.jobs import JobCancelled, JobNotFound, Jobs
from desktop.server.local_server import BadRequest, json_body

CATALOG = resources.asset("catalog.json")
CATALOG_ENV = "HEARTH_CATALOG"  # another catalog file, e.g. one naming a local mirror's repos (tests)
DEFAULT_CONTEXT = 4096
KV_BYTES_PER_VALUE = 4  # the plan keeps the KV cache in f32 (engine/plan/graph.py)
LIST_KEYS = ("id", "name", "architecture", "quantization", "size_bytes", "license", "source", "context_length")


def memory_estimate(manifest: dict, context: int) -> dict:
    """GPU memory for the weights plus the K and V caches of every layer at `context` tokens."""
    config = manifest["config"]
    context = min(context, manifest.get("context_length") or context)
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_heads"]
    kv = 2 * config["num_layers"] * context * config["num_kv_heads"] * head_dim * KV_BYTES_PER_VALUE
    weights = sum(f["size"] for name, f in manifest["files"].items() if name.startswith("weights"))
    return {"context": context, "weights_bytes": weights, "kv_cache_bytes": kv, "total_bytes": weights + kv}


def model_summary(manifest: dict, context: int) -> dict:
    summary = {key: manifest.get(key) for key in LIST_KEYS}
    summary["memory"] = memory_estimate(manifest, context)
    return summary


def _context(query: dict) -> int:
    try:
        return max(16, int((query.get("context") or [DEFAULT_CONTEXT])[0]))
    except ValueError as e:
        raise BadRequest("The context parameter must be a whole number of tokens.") from e


def _path_rest(request, prefix: str) -> list[str]:
    return [unquote(p) for p in urlsplit(request.path).path[len(prefix) :].split("/") if p]


def _list(server, request, query, body):
    rest = _path_rest(request, "/api/models")
    context = _context(query)
    if rest:
        return 200, model_summary(server.store.manifest(rest[0]), context)
    manifests = server.store.manifests()
    ids = [m["id"] for m in manifests]
    default = DEFAULT_MODEL_ID if DEFAULT_MODEL_ID in ids or not ids else ids[0]
    return 200, {"models": [model_summary(m, context) for m in manifests], "default": default}


def _delete(server, request, query, body):
    rest = _path_rest(request, "/api/models")
    if len(rest) != 1:
        raise ModelNotFound("Name the model to delete: DELETE /api/models/ID.")
    unload = getattr(server, "unload_model", None)
    if unload:
        unload(rest[0])  # the chat engine must not keep a removed model's files open
    server.store.remove(rest[0])
    return 200, {"deleted": rest[0]}


def _import(server, request, query, body):
    data = json_body(body)
    path = Path(str(data.get("path") or "")).expanduser()
    if not data.get("path") or not path.is_absolute():
        raise BadRequest("Send the absolute path of a .gguf file or a model folder.")
    if not path.exists():
        raise BadModelFile(f"There is no file or folder at {path}; check the path and try again.")
    model_id = data.get("id")

    def work(job) -> str:
        job.set_phase("import")
        size = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.glob("*.safetensors"))
        job.progress(path.name, 0, size)
        if path.is_dir():
            from desktop.importers.hf_import import import_hf_folder

            manifest = import_hf_folder(server.store, path, model_id=model_id, progress=False)
        else:
            from desktop.importers.gguf_import import import_gguf

            manifest = import_gguf(server.store, path, model_id=model_id, progress=False)
        if job.cancel_requested.is_set():  # an import cannot stop halfway; undo it instead
            server.store.remove(manifest["id"])
            raise JobCancelled()
        job.progress(path.name, size, size)
        return manifest["id"]

    job = server.jobs.start("import", path.name, work)
    return 202, job.as_dict()


def _pull(server, request, query, body):
    data = json_body(body)
    repo_id = str(data.get("repo_id") or "").strip()
    if repo_id.count("/") != 1:
        raise BadRequest("Send a Hugging Face repo id such as Qwen/Qwen2.5-0.5B-Instruct-GGUF.")
    file = data.get("file") or None
    title = f"{repo_id}/{file}" if file else repo_id
    running = server.jobs.running("pull", title)
    if running:
        return 202, running.as_dict()

    def work(job) -> str:
        from desktop.importers.hf_hub import pull

        manifest = pull(
            server.store,
            repo_id,
            file=file,
            model_id=data.get("id"),
            progress=False,
            on_progress=job.progress,
            on_plan=job.expect,
        )
        return manifest["id"]

    return 202, server.jobs.start("pull", title, work).as_dict()


def catalog_path() -> Path:
    return Path(os.environ.get(CATALOG_ENV) or CATALOG)


def _catalog(server, request, query, body):
    catalog = json.loads(catalog_path().read_text(encoding="utf-8"))
    installed = {
        (m["source"].get("repo_id"), m["source"].get("file"))
        for m in server.store.manifests()
        if m.get("source", {}).get("kind") == "huggingface"
    }
    for entry in catalog["models"]:
        entry["installed"] = (entry["repo_id"], entry.get("file")) in installed
    return 200, catalog


def _jobs(server, request, query, body):
    rest = _path_rest(request, "/api/jobs")
    if not rest:
        return 200, {"jobs": [j.as_dict() for j in server.jobs.all()]}
    if len(rest) == 1:
        return 200, server.jobs.get(rest[0]).as_dict()
    raise JobNotFound(f"Nothing at {request.path}; see docs/api.md.")


def _cancel(server, request, query, body):
    rest = _path_rest(request, "/api/jobs")
    if len(rest) != 2 or rest[1] != "cancel":
        raise JobNotFound("Cancel a job with POST /api/jobs/ID/cancel.")
    return 200, server.jobs.cancel(rest[0]).as_dict()


def register(server) -> None:
    if not hasattr(server, "jobs"):
        server.jobs = Jobs()
    server.api_route("GET", "/api/models", _list)
    server.api_route("DELETE", "/api/models", _delete)
    server.api_route("POST", "/api/models/import", _import)
    server.api_route("POST", "/api/models/pull", _pull)
    server.api_route("GET", "/api/catalog", _catalog)
    server.api_route("GET", "/api/jobs", _jobs)
    server.api_route("POST", "/api/jobs", _cancel)
