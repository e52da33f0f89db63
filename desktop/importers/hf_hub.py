"""Downloads a model from the Hugging Face hub (or the mirror HF_ENDPOINT names) and imports it.

Files come into HEARTH_HOME/downloads/<repo>/ through HTTP Range requests as
"<file>.<commit>.partial", which survive an interrupted run: running the same command again
resumes where it stopped (huggingface_hub 2.x deletes its partial files on failure, so its
downloader cannot resume across runs). huggingface_hub supplies the repo listing, the auth
headers (HF_TOKEN) and the hub's typed errors. After a successful import the download
folder is deleted, so each model is on disk once.
"""

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status
from tqdm import tqdm

from desktop.errors import BadModelFile, DownloadError, ModelExists
from desktop.importers.hf_config import normalize_hf_config
from desktop.importers.hf_import import import_hf_folder
from desktop.store.model_store import ModelStore, slugify

SMALL_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
               "chat_template.jinja", "README.md", "model.safetensors.index.json")
RESUMES_PER_FILE = 2  # automatic resumes within one run before asking the user to run again
CHUNK_BYTES = 1 << 20
# on_progress(file name, bytes of it on disk, its size or None); may raise to stop the download
ProgressHook = Callable[[str, int, int | None], None]
# on_plan({file name: its size or None}): every file the pull will fetch, before the first byte of any
PlanHook = Callable[[dict[str, int | None]], None]


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


@contextmanager
def _hub_errors(repo_id: str) -> Iterator[None]:
    """The hub's errors (and the network's) as one-sentence DownloadErrors."""
    try:
        yield
    except GatedRepoError as e:
        raise DownloadError(
            f"{repo_id} is gated; accept its terms on its hub page, then set HF_TOKEN to a token that "
            "can read it."
        ) from e
    except RepositoryNotFoundError as e:
        raise DownloadError(
            f"{repo_id} was not found on {_endpoint()}; check the name, or if it is private set HF_TOKEN "
            "to a token that can read it."
        ) from e
    except (RevisionNotFoundError, RemoteEntryNotFoundError) as e:
        message = f"{repo_id} changed while Hearth was downloading it; run the command again."
        raise DownloadError(message) from e
    except HfHubHTTPError as e:
        status = e.response.status_code if e.response is not None else None
        if status in (401, 403):
            message = f"The hub refused access to {repo_id}; set HF_TOKEN to a token that can read it."
            raise DownloadError(message) from e
        raise DownloadError(f"The hub answered {status} for {repo_id}; try again later.") from e
    except httpx2.TransportError as e:
        message = f"Could not reach {_endpoint()} ({e}); check the connection and run the command again."
        raise DownloadError(message) from e


def _choose_files(repo_id: str, sizes: dict[str, int | None], file: str | None) -> list[str]:
    """What to download: `file` alone, or the small files plus the safetensors weights."""
    ggufs = sorted(name for name in sizes if name.endswith(".gguf"))
    if file is not None:
        if file not in sizes:
            choices = f"; its GGUF files: {', '.join(ggufs)}" if ggufs else ""
            raise DownloadError(f"{repo_id} has no file {file}{choices}.")
        return [file]
    weights = sorted(name for name in sizes if name.endswith(".safetensors") and "/" not in name)
    if not weights:
        if ggufs:
            raise DownloadError(
                f"{repo_id} has no safetensors weights; pass --file with one of its GGUF files: "
                f"{', '.join(ggufs)}."
            )
        raise DownloadError(f"{repo_id} has neither safetensors nor GGUF weights; Hearth cannot import it.")
    for needed in ("config.json", "tokenizer.json"):
        if needed not in sizes:
            raise BadModelFile(f"{repo_id} has no {needed}, which Hearth needs; try another repo.")
    return [name for name in SMALL_FILES if name in sizes] + weights


def _fetch(url: str, headers: dict, partial: Path, size: int | None, bar: tqdm,
           report=None) -> None:
    """One GET from where `partial` ends to the end of the file."""
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have >= size:
        if have == size:
            return
        have = 0
    request_headers = {**headers, "Range": f"bytes={have}-"} if have else headers
    stream = get_session().stream("GET", url, headers=request_headers, follow_redirects=True, timeout=60)
    with stream as response:
        if response.status_code >= 400:
            response.read()
            hf_raise_for_status(response)
        if response.status_code == 200:
            have = 0  # the server ignored the Range header: start over
        bar.reset(total=size)
        bar.update(have)
        with open(partial, "ab" if have else "wb") as out:
            for chunk in response.iter_bytes():  # unbuffered: a cut keeps every byte received
                out.write(chunk)
                bar.update(len(chunk))
                have += len(chunk)
                if report:
                    out.flush()  # a hook that stops us leaves every received byte for the resume
                    report(have)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def download_file(repo_id: str, commit: str, name: str, size: int | None, sha256: str | None,
                  folder: Path, progress: bool = True, on_progress: ProgressHook | None = None) -> Path:
    """Downloads one file of the repo at `commit` into folder/name, resuming an earlier partial file."""
    dest = folder / name
    if dest.exists() and (size is None or dest.stat().st_size == size):
        if on_progress:
            on_progress(name, dest.stat().st_size, size)
        return dest  # finished in an earlier run
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f"{dest.name}.{commit[:12]}.partial")
    url = hf_hub_url(repo_id, name, revision=commit, endpoint=_endpoint())
    headers = build_hf_headers(token=os.environ.get("HF_TOKEN") or None)
    with tqdm(desc=name, total=size, unit="B", unit_scale=True, file=sys.stderr, disable=not progress) as bar:
        for attempt in range(RESUMES_PER_FILE + 1):
            try:
                _fetch(url, headers, partial, size, bar,
                       (lambda have: on_progress(name, have, size)) if on_progress else None)
                break
            except (httpx2.TransportError, httpx2.StreamError) as e:
                if attempt == RESUMES_PER_FILE:
                    done = partial.stat().st_size if partial.exists() else 0
                    share = f" at {100 * done // size}%" if size else ""
                    raise DownloadError(
                        f"The download of {name} from {repo_id} stopped{share} ({e}); run the same command "
                        "again to resume it."
                    ) from e
    got = partial.stat().st_size if partial.exists() else 0
    if (size is not None and got != size) or (sha256 and _sha256(partial) != sha256):
        partial.unlink(missing_ok=True)
        raise DownloadError(f"{name} from {repo_id} arrived damaged; run the same command again.")
    partial.rename(dest)
    return dest


def _shards_named_by_index(folder: Path, weights: list[str]) -> list[str]:
    """With a shard index, only the shards it names (repos such as Mistral's add a consolidated copy)."""
    index = folder / "model.safetensors.index.json"
    if not index.exists():
        return weights
    named = set(json.loads(index.read_text(encoding="utf-8")).get("weight_map", {}).values())
    return [w for w in weights if w in named]


def pull(store: ModelStore, repo_id: str, file: str | None = None, model_id: str | None = None,
         progress: bool = True, on_progress: ProgressHook | None = None, on_plan: PlanHook | None = None) -> dict:
    """Downloads repo_id (or one of its GGUF files) and imports it; returns the manifest.
    `on_progress` hears of every chunk of every file (the app's progress bars and cancel); `on_plan`
    hears of all the files and their sizes first, so a bar can show the whole download from the
    start (the weights dwarf the small files that come first), and again with fewer weights if the
    shard index leaves some out."""
    with _hub_errors(repo_id):
        info = HfApi(endpoint=_endpoint(), token=os.environ.get("HF_TOKEN") or None).model_info(
            repo_id, files_metadata=True
        )
    siblings = {s.rfilename: s for s in info.siblings or []}
    wanted = _choose_files(repo_id, {name: s.size for name, s in siblings.items()}, file)
    if file is None:
        model_id = model_id or slugify(repo_id.rsplit("/", 1)[-1])
    if model_id and store.exists(model_id):
        raise ModelExists(
            f"A model with id '{model_id}' already exists; pass --id to choose another or "
            f"`hearth models rm {model_id}` first."
        )
    folder = store.root / "downloads" / repo_id.replace("/", "--")
    source = {"kind": "huggingface", "repo_id": repo_id, "revision": info.sha}
    small = [n for n in wanted if not n.endswith(".safetensors")]
    if on_plan:
        on_plan({name: siblings[name].size for name in wanted})
    with _hub_errors(repo_id):
        for name in small:
            sibling = siblings[name]
            sha256 = sibling.lfs.sha256 if sibling.lfs else None
            download_file(repo_id, info.sha, name, sibling.size, sha256, folder, progress, on_progress)
            if name == "config.json":  # fail before the weights if Hearth cannot run the model
                try:
                    normalize_hf_config(json.loads((folder / name).read_text(encoding="utf-8")))
                except Exception:
                    shutil.rmtree(folder, ignore_errors=True)
                    raise
        weights = _shards_named_by_index(folder, [n for n in wanted if n.endswith(".safetensors")])
        if on_plan and len(small) + len(weights) < len(wanted):
            on_plan({name: siblings[name].size for name in small + weights})
        for name in weights:
            sibling = siblings[name]
            download_file(repo_id, info.sha, name, sibling.size, sibling.lfs.sha256 if sibling.lfs else None,
                          folder, progress, on_progress)
    if file is not None:
        from desktop.importers.gguf_import import import_gguf

        manifest = import_gguf(store, folder / file, model_id, progress=progress,
                               overrides={"source": {**source, "file": file}})
    else:
        manifest = import_hf_folder(store, folder, model_id, progress=progress, source=source)
    shutil.rmtree(folder, ignore_errors=True)
    return manifest
