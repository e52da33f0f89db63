"""Hearth's local server: 127.0.0.1, a random port, a per-launch secret (DESIGN.md §7).

Serves the UI, the webview engine's modules, vendored libraries, the store's model files (with
Range, straight from disk) and JSON APIs that other modules register with `api_route`.
"""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from desktop.errors import HearthError, ModelNotFound
from desktop.server.access import CONTENT_SECURITY_POLICY, AccessPolicy
from desktop.server.files import static_file, stream_file
from desktop.store.model_store import ModelStore

# handler(server, request, query, body) -> (status, json-able) or a callable writing a stream itself
ApiHandler = Callable[["LocalServer", BaseHTTPRequestHandler, dict, bytes], tuple[int, object] | None]
MODEL_EXTRA_FILES = ("manifest.json",)


class LocalServer:
    def __init__(self, store: ModelStore | None = None, port: int = 0, secret: str | None = None):
        self.store = store or ModelStore()
        self.routes: dict[tuple[str, str], ApiHandler] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.access = AccessPolicy(self.port, secret)
        self.thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/ui/index.html") -> str:
        """The address the window opens: carries the secret once; the server answers with a cookie."""
        separator = "&" if "?" in path else "?"
        return f"{self.origin}{path}{separator}key={self.access.secret}"

    def api_route(self, method: str, prefix: str, handler: ApiHandler) -> None:
        self.routes[(method, prefix)] = handler

    def start(self) -> "LocalServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="hearth-server", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def model_file(self, model_id: str, name: str) -> Path | None:
        try:
            folder = self.store.model_dir(model_id)
        except ModelNotFound:
            return None
        manifest = json.loads((folder / "manifest.json").read_text())
        allowed = set(manifest["files"]) | set(MODEL_EXTRA_FILES)
        return folder / name if name in allowed else None


def _make_handler(server: LocalServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _common_headers(self) -> dict[str, str]:
            return {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

        def send_json(self, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**self._common_headers(), **(extra or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            refusal = server.access.refusal(self.headers, query)
            if refusal:
                message = f"Refused ({refusal}): only Hearth's own window may use this server."
                return self.send_json(403, {"error": message})
            extra = self._common_headers()
            if "key" in query:
                extra["Set-Cookie"] = server.access.cookie_header()
            parts = [unquote(p) for p in url.path.split("/") if p]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            for (method, prefix), handler in server.routes.items():
                if method == self.command.replace("HEAD", "GET") and url.path.startswith(prefix):
                    try:
                        result = handler(server, self, query, body)
                    except HearthError as e:
                        return self.send_json(400, {"error": str(e)})
                    if result is not None:
                        self.send_json(*result)
                    return None
            path = None
            if len(parts) >= 2 and parts[0] == "models":
                path = server.model_file(parts[1], "/".join(parts[2:]))
            elif parts:
                path = static_file(parts[0], "/".join(parts[1:]))
            if path is None:
                return self.send_json(404, {"error": f"Nothing at {url.path}."})
            stream_file(self, path, self.headers.get("Range"), extra)
            return None

        do_GET = do_HEAD = do_POST = do_DELETE = _handle

    return Handler
