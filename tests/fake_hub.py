"""A fake Hugging Face hub on 127.0.0.1 for download tests (point HF_ENDPOINT at `hub.url`).

Serves what huggingface_hub's HfApi.model_info and a resolve download use:
  GET  /api/models/{repo}[/revision/{rev}]   → {"id", "sha", "siblings": [{"rfilename", "size", "lfs"}]}
  GET  /api/models/{repo}/tree/{rev}         → [{"type": "file", "path", "size", "lfs"}] (snapshot_download)
  HEAD /{repo}/resolve/{rev}/{file}          → ETag, X-Repo-Commit, Content-Length, Accept-Ranges
  GET  /{repo}/resolve/{rev}/{file}          → the bytes, with Range support (206 + Content-Range)
Errors carry the hub's X-Error-Code header (RepoNotFound, GatedRepo, EntryNotFound, RevisionNotFound),
which huggingface_hub turns into its typed errors. Test hooks: a repo may require a token,
a file can be cut off halfway a given number of times, and bytes served are counted per file.
"""

import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)$")
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    token: str | None = None
    commit: str = ""

    def __post_init__(self):
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(name.encode() + hashlib.sha256(self.files[name]).digest())
        self.commit = digest.hexdigest()


@dataclass
class FakeHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    cut_offs: Counter = field(default_factory=Counter)  # file name → times left to stop halfway
    bytes_served: Counter = field(default_factory=Counter)  # file name → body bytes sent
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    url: str = ""

    def add_repo(self, repo_id: str, folder: Path | None = None, files: dict[str, bytes] | None = None,
                 token: str | None = None) -> FakeRepo:
        files = dict(files or {})
        if folder is not None:
            files.update({p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()})
        self.repos[repo_id] = FakeRepo(files, token)
        return self.repos[repo_id]

    def downloaded(self) -> set[str]:
        """Files whose bytes were requested (GET on resolve)."""
        return {unquote(p).rsplit("/", 1)[-1] for m, p in self.requests if m == "GET" and "/resolve/" in p}

    def __enter__(self) -> "FakeHub":
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _siblings(repo: FakeRepo) -> list[dict]:
    return [
        {"rfilename": name, "size": len(data),
         "lfs": {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}}
        for name, data in repo.files.items()
    ]


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _error(self, status: int, code: str, message: str, commit: str | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _repo(self, repo_id: str, revision: str | None) -> FakeRepo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        if repo.token and self.headers.get("Authorization") != f"Bearer {repo.token}":
            self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted.")
            return None
        if revision not in (None, "main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return repo

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        self.hub.requests.append((self.command, path))
        if match := _API.match(path):
            repo = self._repo(match["repo"], match["rev"] and unquote(match["rev"]))
            if repo:
                self._send_info(match["repo"], repo)
        elif match := _TREE.match(path):
            repo = self._repo(match["repo"], unquote(match["rev"]))
            if repo:
                self._send_json([{"type": "file", "path": s["rfilename"], "size": s["size"],
                                  "oid": s["lfs"]["sha256"][:40],
                                  "lfs": {"oid": s["lfs"]["sha256"], "size": s["size"], "pointerSize": 134}}
                                 for s in _siblings(repo)])
        elif match := _RESOLVE.match(path):
            repo = self._repo(match["repo"], unquote(match["rev"]))
            if repo:
                self._send_file(repo, unquote(match["file"]))
        else:
            self._error(404, "NotFound", "Not found")

    def _send_info(self, repo_id: str, repo: FakeRepo) -> None:
        self._send_json({"id": repo_id, "sha": repo.commit, "private": False,
                         "gated": "manual" if repo.token else False, "siblings": _siblings(repo)})

    def _send_json(self, document) -> None:
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    def _send_file(self, repo: FakeRepo, name: str) -> None:
        if name not in repo.files:
            self._error(404, "EntryNotFound", f"{name} does not exist", commit=repo.commit)
            return
        data = repo.files[name]
        start, end, status = 0, len(data), 200
        if match := _RANGE.match(self.headers.get("Range", "")):
            start = int(match[1])
            end = int(match[2]) + 1 if match[2] else len(data)
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if self.command != "GET":
            return
        if self.hub.cut_offs[name] > 0:
            self.hub.cut_offs[name] -= 1
            body = body[: len(body) // 2]
            self.close_connection = True  # the client sees a body shorter than Content-Length
        self.hub.bytes_served[name] += len(body)  # before writing: the client may finish first
        self.wfile.write(body)
        self.wfile.flush()
