"""JSON APIs the webview engine (engine/web/engine.js) loads a model with.

GET /api/engine/model?model=ID               → what the JS session needs besides the plan: chat
                                                template, special tokens' text, stop token ids.
GET /api/engine/plan?model=ID&context=N&adapter=JSON
                                             → the plan (docs/plan.md) compiled for the page's
                                                adapter traits, cached in the model's plans/ folder.
"""

import json

from tokenizers import Tokenizer

from desktop.errors import EngineError, HearthError
from engine.plan import plan_for
from engine.plan.adapter import CPU_NAMES, DEFAULT_BINDING, traits_for

DEFAULT_CONTEXT = 2048
MAX_CONTEXT = 1 << 17


def _one(query: dict, name: str, default: str | None = None) -> str:
    values = query.get(name)
    if values:
        return values[0]
    if default is None:
        raise HearthError(f"The request lacks the {name} parameter; reload the page.")
    return default


def adapter_traits(page_traits: dict) -> dict:
    """The compiler's traits for a browser adapter, from what the page read off GPUAdapter."""
    text = " ".join(str(page_traits.get(k) or "") for k in ("vendor", "architecture", "description")).lower()
    kind = "cpu" if any(name in text for name in CPU_NAMES) or "cpu" in text.split() else "gpu"
    return traits_for(kind, int(page_traits.get("max_binding") or DEFAULT_BINDING))


def model_info(server, model_id: str) -> dict:
    folder = server.store.model_dir(model_id)
    manifest = server.store.manifest(model_id)
    special = manifest.get("special_tokens") or {}
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))

    def text_of(token_id) -> str:
        return (tokenizer.id_to_token(token_id) or "") if token_id is not None else ""

    eos = special.get("eos") or []
    eos = eos if isinstance(eos, list) else [eos]
    template_path = folder / "chat_template.jinja"
    return {
        "id": manifest["id"], "name": manifest.get("name", manifest["id"]),
        "architecture": manifest["architecture"], "context_length": manifest.get("context_length"),
        "chat_template": template_path.read_text(encoding="utf-8") if template_path.exists() else None,
        "bos_token": text_of(special.get("bos")), "eos_token": text_of(min(eos) if eos else None),
        "stop_token_ids": [int(t) for t in eos],
    }


def _model(server, request, query, body):
    return 200, model_info(server, _one(query, "model"))


def _plan(server, request, query, body):
    model_id = _one(query, "model")
    try:
        context = int(_one(query, "context", str(DEFAULT_CONTEXT)))
        page_traits = json.loads(_one(query, "adapter", "{}"))
    except ValueError as e:
        raise HearthError("The context or adapter parameter is malformed; reload the page.") from e
    if not 16 <= context <= MAX_CONTEXT:
        raise EngineError(f"A context of {context} tokens is out of range; choose 16 to {MAX_CONTEXT}.")
    model = server.store.open_model(model_id)
    return 200, plan_for(model, context, adapter_traits(page_traits))


def register(server) -> None:
    server.api_route("GET", "/api/engine/model", _model)
    server.api_route("GET", "/api/engine/plan", _plan)
