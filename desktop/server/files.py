"""Serving files: UI, engine modules, vendored npm libraries, and model files with Range support."""

import mimetypes
import re
from pathlib import Path

from desktop import resources
from desktop.resources import VENDOR_PACKAGES

STATIC_ROOTS = {
    "ui": resources.webui_dir(),
    "engine": resources.engine_web_dir(),
    "kernels": resources.kernels_dir(),
    "vendor": resources.vendor_dir(),
}
MIME = {".js": "text/javascript", ".mjs": "text/javascript", ".wgsl": "text/plain",
        ".json": "application/json", ".jinja": "text/plain", ".bin": "application/octet-stream",
        ".css": "text/css", ".html": "text/html"}
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def mime_type(path: Path) -> str:
    return MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def static_file(root_name: str, relative: str) -> Path | None:
    """The file a /<root>/<relative> URL names, or None if it is outside what may be served."""
    root = STATIC_ROOTS.get(root_name)
    if root is None or {".", ".."} & set(relative.split("/")):  # "./node_modules" would dodge the check below
        return None
    if root_name == "vendor" and not any(relative.startswith(p + "/") for p in VENDOR_PACKAGES):
        return None
    if root_name == "ui" and relative.startswith("node_modules"):
        return None
    path = (root / relative).resolve()
    return path if path.is_file() and path.is_relative_to(root) else None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single `bytes=` range, or None for the whole file."""
    match = RANGE.match(header or "")
    if not match:
        return None
    first, last = match.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        raise ValueError("unsatisfiable range")
    return start, end


def stream_file(handler, path: Path, range_header: str | None, extra_headers: dict[str, str]) -> None:
    size = path.stat().st_size
    try:
        span = parse_range(range_header, size)
    except ValueError:
        handler.send_response(416)
        handler.send_header("Content-Range", f"bytes */{size}")
        handler.send_header("Content-Length", "0")  # without it an HTTP/1.1 client waits for a body forever
        for name, value in extra_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        return
    start, end = span or (0, size - 1)
    handler.send_response(206 if span else 200)
    handler.send_header("Content-Type", mime_type(path))
    handler.send_header("Content-Length", str(end - start + 1))
    handler.send_header("Accept-Ranges", "bytes")
    if span:
        handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
    for name, value in extra_headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command == "HEAD":
        return
    with open(path, "rb") as f:
        f.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            block = f.read(min(remaining, 1 << 20))
            if not block:
                break
            try:
                handler.wfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                handler.close_connection = True  # the page stopped reading (navigated away, cancelled)
                return
            remaining -= len(block)
