"""The model store: one folder per model under HEARTH_HOME/models, imported atomically."""

import errno
import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from desktop.errors import ModelExists, ModelNotFound, StoreError
from desktop.paths import hearth_home
from desktop.store.lock import StoreLock
from desktop.store.migrations import migrate
from desktop.store.tensor_codec import decode
from desktop.store.weights_writer import WeightWriter

MODEL_FORMAT_VERSION = 1
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    return slug[:80] or "model"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_id(model_id: str) -> None:
    if not ID_PATTERN.fullmatch(model_id):
        raise StoreError(
            f"'{model_id}' is not a valid model id; use lower-case letters, digits, '.', '-' or '_'."
        )


class ModelBuilder:
    """What an importer fills in: weights through `writer`, other files, and the manifest."""

    def __init__(self, folder: Path, model_id: str):
        self.folder = folder
        self.writer = WeightWriter(folder)
        self.manifest: dict = {
            "format": "hearth-model",
            "format_version": MODEL_FORMAT_VERSION,
            "id": model_id,
        }

    def add_file(self, name: str, content: str | bytes) -> None:
        path = self.folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)

    def finish(self) -> dict:
        self.writer.close()
        files = {}
        for path in sorted(self.folder.iterdir()):
            if path.name != "manifest.json":
                files[path.name] = {"size": path.stat().st_size, "sha256": sha256_of(path)}
        self.manifest["tensors"] = self.writer.tensors
        self.manifest["files"] = files
        self.manifest["size_bytes"] = sum(f["size"] for f in files.values())
        self.manifest["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for key in ("name", "architecture", "config", "license", "source", "quantization", "context_length"):
            if key not in self.manifest:
                raise StoreError(f"The importer left '{key}' out of the manifest; this is a bug in Hearth.")
        text = json.dumps(self.manifest, indent=1)
        (self.folder / "manifest.json").write_text(text, encoding="utf-8")
        return self.manifest


class ModelStore:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root else hearth_home()
        self.root.mkdir(parents=True, exist_ok=True)
        migrate(self.root)
        self.models_dir = self.root / "models"
        self.tmp_dir = self.root / "tmp"
        self.lock_path = self.root / "store.lock"

    def ids(self) -> list[str]:
        return sorted(p.name for p in self.models_dir.iterdir() if (p / "manifest.json").exists())

    def exists(self, model_id: str) -> bool:
        # an id is a folder name, never a path: "/home/x" or "../x" would reach outside models/
        return bool(ID_PATTERN.fullmatch(model_id)) and (self.models_dir / model_id / "manifest.json").exists()

    def model_dir(self, model_id: str) -> Path:
        if not self.exists(model_id):
            known = ", ".join(self.ids()) or "none"
            raise ModelNotFound(
                f"No model '{model_id}' in the store (installed: {known}); see `hearth models list`."
            )
        return self.models_dir / model_id

    def manifest(self, model_id: str) -> dict:
        return json.loads((self.model_dir(model_id) / "manifest.json").read_text(encoding="utf-8"))

    def manifests(self) -> list[dict]:
        return [self.manifest(i) for i in self.ids()]

    @contextmanager
    def new_model(self, model_id: str) -> Iterator[ModelBuilder]:
        """Builds a model in tmp/ and renames it into place only if everything succeeded."""
        check_id(model_id)
        if self.exists(model_id):
            raise ModelExists(
                f"A model with id '{model_id}' already exists; pass --id to choose another or "
                f"`hearth models rm {model_id}` first."
            )
        with StoreLock(self.lock_path):
            self._clear_debris()
            folder = Path(tempfile.mkdtemp(prefix="import-", dir=self.tmp_dir))
            try:
                builder = ModelBuilder(folder, model_id)
                yield builder
                builder.finish()
                self._check_files(folder, builder.manifest, hashes=True)
                if self.exists(model_id):
                    raise ModelExists(
                        f"A model with id '{model_id}' appeared during the import; choose another --id."
                    )
                folder.rename(self.models_dir / model_id)
            except OSError as e:
                shutil.rmtree(folder, ignore_errors=True)
                if e.errno == errno.ENOSPC:
                    raise StoreError(
                        f"The disk holding {self.root} is full; free some space and import again."
                    ) from e
                raise
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise

    def _clear_debris(self) -> None:
        for leftover in self.tmp_dir.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)

    def remove(self, model_id: str) -> None:
        folder = self.model_dir(model_id)
        with StoreLock(self.lock_path):
            trash = self.tmp_dir / f"removing-{model_id}"
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)

    @staticmethod
    def _check_files(folder: Path, manifest: dict, hashes: bool) -> list[str]:
        problems = []
        for name, info in manifest["files"].items():
            path = folder / name
            if not path.exists():
                problems.append(f"{name} is missing")
            elif path.stat().st_size != info["size"]:
                problems.append(f"{name} has {path.stat().st_size} bytes, expected {info['size']}")
            elif hashes and sha256_of(path) != info["sha256"]:
                problems.append(f"{name} does not match its sha256")
        return problems

    def verify(self, model_id: str) -> list[str]:
        """Every file's size and sha256 against the manifest; returns the problems found."""
        return self._check_files(self.model_dir(model_id), self.manifest(model_id), hashes=True)

    def open_model(self, model_id: str) -> "StoredModel":
        """A model ready to load; checks that every file has the size the manifest records."""
        folder = self.model_dir(model_id)
        manifest = self.manifest(model_id)
        problems = self._check_files(folder, manifest, hashes=False)
        if problems:
            raise StoreError(
                f"Model '{model_id}' is damaged ({problems[0]}); remove it with `hearth models rm "
                f"{model_id}` and import it again."
            )
        return StoredModel(folder, manifest)


class StoredModel:
    def __init__(self, folder: Path, manifest: dict):
        self.folder = folder
        self.manifest = manifest
        self.config = manifest["config"]

    def component_bytes(self, name: str, component: str) -> bytes:
        chunks = []
        for part in self.manifest["tensors"][name]["parts"][component]:
            with open(self.folder / part["file"], "rb") as f:
                f.seek(part["offset"])
                chunks.append(f.read(part["nbytes"]))
        return b"".join(chunks)

    def tensor(self, name: str) -> np.ndarray:
        """The tensor dequantised to float32 (numpy twin of the GPU's reads)."""
        entry = self.manifest["tensors"][name]
        return decode(entry, {c: self.component_bytes(name, c) for c in entry["parts"]})

    def has(self, name: str) -> bool:
        return name in self.manifest["tensors"]
