"""Checks on an installed Hearth: start its server, then follow index.html's scripts and styles and every
static `import` in the scripts, as the webview would, and fetch the WGSL kernels. Installs are built from
a snapshot of the source tree (source_copy), so other work in the checkout cannot race the comparison."""

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from desktop.resources import VENDOR_PACKAGES

REPO = Path(__file__).resolve().parents[2]
KEY = "packaging-test-key"
HTML_LINK = re.compile(r'(?:src|href)="([^"#][^"]*)"')
# import ... from "x", export ... from "x", import "x", import("x"): the specifiers a module loads
JS_IMPORT = re.compile(r'(?:\bfrom\s*|\bimport\s*\(?\s*)"(\.{0,2}/[^"\s]+\.m?js)"')
SERVE_BANNER = re.compile(r"Hearth API on (http://127\.0\.0\.1:\d+)/v1")


def fetch(origin: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(origin + path, headers={"X-Hearth-Key": KEY})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def linked_paths(url_path: str, body: bytes) -> list[str]:
    """Same-origin paths a page or module loads, resolved against its own path."""
    text = body.decode("utf-8", errors="replace")
    pattern = HTML_LINK if url_path.endswith(".html") else JS_IMPORT
    targets = [urljoin(url_path, found) for found in pattern.findall(text)]
    return [urlsplit(t).path for t in targets if t.startswith("/") and not t.startswith("//")]


def crawl_ui(origin: str) -> tuple[dict[str, bytes], dict[str, int]]:
    """({path: body} of everything index.html reaches, {path: status} of what failed)."""
    served, failed, pending = {}, {}, ["/ui/index.html"]
    while pending:
        path = pending.pop()
        if path in served or path in failed:
            continue
        status, body = fetch(origin, path)
        if status != 200:
            failed[path] = status
            continue
        served[path] = body
        if path.endswith((".html", ".js", ".mjs")):
            pending.extend(linked_paths(path, body))
    return served, failed


def check_installed_server(origin: str, sources: Path = REPO) -> dict[str, bytes]:
    """Asserts the UI, the webview engine, the vendored libraries, the kernels and the catalog are served,
    each file as it is in `sources`, the tree the installation was built from."""
    served, failed = crawl_ui(origin)
    assert not failed, f"the installed UI cannot load {failed}"
    for needed in ("/ui/app/main.js", "/engine/engine.js", "/vendor/marked/lib/marked.esm.js",
                   "/vendor/@huggingface/tokenizers/dist/tokenizers.min.mjs", "/vendor/highlight.js/lib/core.js"):
        assert needed in served, f"{needed} was not reached from index.html"
    for path, body in served.items():
        if path.startswith(("/ui/", "/engine/")):
            source = sources / ("webui" if path.startswith("/ui/") else "engine/web") / path.split("/", 2)[2]
            assert body == source.read_bytes(), f"{path} differs from the source tree"
    for kernel in sorted((sources / "engine" / "kernels").glob("*.wgsl")):
        status, body = fetch(origin, f"/kernels/{kernel.name}")
        assert status == 200 and body == kernel.read_bytes(), f"kernel {kernel.name} is not served ({status})"
    status, body = fetch(origin, "/api/catalog")
    assert status == 200, body
    catalog = json.loads((sources / "assets" / "catalog.json").read_text(encoding="utf-8"))
    assert len(json.loads(body)["models"]) == len(catalog["models"]) > 0
    return served


def start_serve(command: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    """`hearth serve` on a free port with the test's key; returns the process and its origin."""
    process = subprocess.Popen(
        [*command, "serve", "--key", KEY], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    banner = process.stdout.readline()
    match = SERVE_BANNER.search(banner)
    if not match:
        process.kill()
        raise AssertionError(f"`hearth serve` did not start: {banner!r} {process.stderr.read()}")
    return process, match.group(1)


def source_copy(destination: Path) -> Path:
    """The tracked files (as they are now) plus the vendored npm packages: a clone after `npm ci`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in listed.decode().split("\0"):
        source = REPO / name
        if name and not name.startswith("tests/") and source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    for package in VENDOR_PACKAGES:
        shutil.copytree(REPO / "webui" / "node_modules" / package, destination / "webui" / "node_modules" / package)
    return destination
