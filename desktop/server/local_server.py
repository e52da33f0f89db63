"""Hearth's local server: 127.0.0.1, a random port, a per-launch secret (DESIGN.md §7).

Serves the UI, the webview engine's modules, vendored libraries, the store's model files (with
Range, straight from disk) and JSON APIs that other modules register with `api_route` (the
longest matching prefix wins). A handler returns (status, json-able), or writes the response itself
(`send_text`, `start_events`/`send_event` for server-sent events) and returns None. HearthErrors
become {"error": message} with the error's `http_status` (400 by default); docs/api.md lists the APIs.
"""

import json
import math
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from desktop.errors import HearthError, ModelExists, ModelNotFound
from desktop.server.access import CONTENT_SECURITY_POLICY, AccessPolicy
from desktop.server.files import static_file, stream_file
from desktop.store.model_store import ModelStore

# handler(server, request, query, body) -> (status, json-able) or a callable writing a stream itself
ApiHandler = Callable[["LocalServer", BaseHTTPRequestHandler, dict, bytes], tuple[int, object] | None]
MODEL_EXTRA_FILES = ("manifest.json",)
MAX_BODY_BYTES = 16 << 20
STATUS_OF = {ModelNotFound: 404, ModelExists: 409}


class BadRequest(HearthError):
    http_status = 400


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: int() of it raises OverflowError deep in a handler
        raise ValueError(f"{text} is not a finite number")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN/Infinity would be echoed back as invalid JSON


def json_body(body: bytes) -> dict:
    """The request's JSON object, or BadRequest (also for NaN, Infinity and numbers that overflow)."""
    try:
        value = json.loads(body or b"{}", parse_float=_finite, parse_constant=_no_constant)
    except ValueError as e:
        raise BadRequest("The request body is not JSON; send a JSON object.") from e
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.")
    return value


def error_status(error: HearthError) -> int:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    return getattr(error, "http_status", 400)


class KeyPolicy(AccessPolicy):
    """Also accepts the key as `Authorization: Bearer KEY`, which OpenAI clients send (hearth serve)."""

    def key_from(self, headers, query):
        authorization = headers.get("Authorization") or ""
        if authorization.startswith("Bearer ") and not headers.get("X-Hearth-Key"):
            return authorization.removeprefix("Bearer ").strip()
        return super().key_from(headers, query)


class LocalServer:
    def __init__(self, store: ModelStore | None = None, port: int = 0, secret: str | None = None):
        self.store = store or ModelStore()
        self.routes: dict[tuple[str, str], ApiHandler] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.access = KeyPolicy(self.port, secret)
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
            return {
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            }

        def send_json(self, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
            self.send_text(status, json.dumps(payload), "application/json", extra)

        def send_text(
            self, status: int, text: str, content_type: str, extra: dict[str, str] | None = None
        ) -> None:
            body = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**self._common_headers(), **(extra or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def start_events(self) -> None:
            """Starts a server-sent-event stream; the connection closes when the handler returns."""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Connection", "close")
            self.send_header("X-Accel-Buffering", "no")
            for name, value in self._common_headers().items():
                self.send_header(name, value)
            self.end_headers()
            self.close_connection = True

        def send_event(self, data: object) -> None:
            """One `data:` event; raises ConnectionError (BrokenPipe/Reset) once the client has gone."""
            text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
            self.wfile.write(f"data: {text}\n\n".encode())
            self.wfile.flush()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            refusal = server.access.refusal(self.headers, query)
            if refusal:
                self.close_connection = True  # its body, if any, stays unread
                message = f"Refused ({refusal}): only Hearth's own window may use this server."
                return self.send_json(403, {"error": message}, {"Connection": "close"})
            extra = self._common_headers()
            if "key" in query:
                extra["Set-Cookie"] = server.access.cookie_header()
            parts = [unquote(p) for p in url.path.split("/") if p]
            length_text = (self.headers.get("Content-Length") or "0").strip()
            # int() would take "-1" (read to EOF: a hang) or raise (a dropped connection)
            if not (length_text.isascii() and length_text.isdigit()):
                self.close_connection = True
                return self.send_json(400, {"error": "The Content-Length header must be a whole number of bytes."})
            length = int(length_text)
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                return self.send_json(413, {"error": "The request is too large; send less than 16 MB."})
            body = self.rfile.read(length)
            method = self.command.replace("HEAD", "GET")
            matches = [(p, h) for (m, p), h in server.routes.items() if m == method and _under(url.path, p)]
            if matches:
                _, handler = max(matches, key=lambda match: len(match[0]))
                try:
                    result = handler(server, self, query, body)
                except HearthError as e:
                    return self.send_json(error_status(e), {"error": str(e)})
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                    return None
                except Exception as e:  # a bug: answer in JSON rather than drop the connection
                    traceback.print_exc()
                    return self.send_json(
                        500,
                        {"error": f"Hearth hit an internal error ({type(e).__name__}); please report it."},
                    )
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

        # OPTIONS too: otherwise http.server answers 501 in HTML, without the key check or the CSP
        do_GET = do_HEAD = do_POST = do_DELETE = do_PATCH = do_PUT = do_OPTIONS = _handle

    return Handler


def _under(path: str, prefix: str) -> bool:
    """`prefix` names `path` or a folder above it (so /api/models does not catch /api/modelsx)."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
