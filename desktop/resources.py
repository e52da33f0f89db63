"""Where Hearth's read-only files are: the UI (webui/), the webview engine (engine/web/), the WGSL
kernels (engine/kernels/), data (assets/) and the npm libraries the UI imports (webui/node_modules/).

Every way of running Hearth keeps the repository's layout under one root, so one rule finds them all:
- from the source tree (and an editable install), the root is the repository;
- from an installed wheel, it is site-packages: pyproject.toml ships webui/ and assets/ as namespace
  packages beside desktop/ and engine/;
- from a PyInstaller bundle, it is the bundle's folder, sys._MEIPASS (build.spec lays it out so).
"""

import sys
from functools import cache
from pathlib import Path

# The npm packages the UI imports, served under /vendor/ (desktop/server/files.py) and shipped by
# pyproject.toml's package-data and build.spec; a package missing here cannot be loaded by the page.
VENDOR_PACKAGES = ("@huggingface/jinja", "@huggingface/tokenizers", "marked", "dompurify", "highlight.js")


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


@cache
def root() -> Path:
    """The folder that holds webui/, engine/ and assets/."""
    if is_frozen():
        return Path(sys._MEIPASS)
    return Path(__file__).resolve().parents[1]


def webui_dir() -> Path:
    return root() / "webui"


def engine_web_dir() -> Path:
    return root() / "engine" / "web"


def kernels_dir() -> Path:
    return root() / "engine" / "kernels"


def assets_dir() -> Path:
    return root() / "assets"


def asset(relative: str) -> Path:
    """A file under assets/, e.g. asset("catalog.json")."""
    return assets_dir() / relative


def vendor_dir() -> Path:
    return webui_dir() / "node_modules"


def missing() -> list[str]:
    """What this installation lacks of the files the UI and the engine need (empty when complete)."""
    wanted = {
        "webui/index.html": webui_dir() / "index.html",
        "engine/web/engine.js": engine_web_dir() / "engine.js",
        "engine/kernels/step.wgsl": kernels_dir() / "step.wgsl",
        "assets/catalog.json": asset("catalog.json"),
    }
    wanted.update({f"webui/node_modules/{name}": vendor_dir() / name / "package.json" for name in VENDOR_PACKAGES})
    return [name for name, path in wanted.items() if not path.is_file()]

