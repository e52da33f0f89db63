"""The desktop shell: `hearth` with no arguments starts the local server and opens a pywebview
window titled "Hearth" on it — Qt (QtWebEngine) on Linux, Cocoa (WKWebView) on macOS, WebView2 on
Windows. The UI (webui/) does everything else through the server's API (docs/api.md); the only
Python it calls directly is `Bridge`, for what a page cannot do: native file dialogs and the real
paths of dropped files. On first run the server imports the built-in model in the background and
the UI shows its ready state when /api/status says so.
"""

import os
import sys
from urllib.parse import unquote

from desktop.documents.batch import FOLDER_SUFFIXES
from desktop.errors import HearthError
from desktop.paths import hearth_home
from desktop.server.hearth_server import build_server

TITLE = "Hearth"
GUI_BY_PLATFORM = {"linux": "qt", "darwin": "cocoa", "win32": "edgechromium"}
# QtWebEngine is Chromium: keep it from phoning home (updates, safe browsing, translate, metrics...)
# and send anything that is not the local server to a closed port, so nothing leaves the machine.
QT_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-breakpad",
    "--no-pings",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<local>;127.0.0.1;localhost",
)
# pywebview's filter syntax: "Description (*.a;*.b)", a description of letters and spaces only
MODEL_FILE_TYPES = ("GGUF models (*.gguf)", "All files (*.*)")
DOCUMENT_FILE_TYPES = (
    "Documents (" + ";".join(f"*{s}" for s in sorted(FOLDER_SUFFIXES) if s) + ")",
    "All files (*.*)",
)


def gui_name() -> str:
    return GUI_BY_PLATFORM.get(sys.platform, "qt")


def configure_qt_environment() -> None:
    """Environment QtWebEngine reads at start-up; must run before Qt is imported."""
    existing = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(existing + [f for f in QT_CHROMIUM_FLAGS if f not in existing])
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"  # Chromium's sandbox refuses to run as root


class Bridge:
    """What the page asks of Python, as plain dicts: native file dialogs and dropped files' real paths.

    The page reaches it over the local server (/api/app/..., desktop/server/app_api.py) rather than
    pywebview's js_api, whose replies are delivered with eval(), which Hearth's CSP forbids.
    """

    def __init__(self):
        self._window = None

    def attach(self, window) -> None:
        self._window = window
        from webview.dom import _dnd_state

        _dnd_state["num_listeners"] += 1  # makes the webview accept file drops and record their paths

    def open_model_dialog(self, kind: str = "file") -> dict:
        """The native dialog for a kind of app_api.DIALOG_KINDS: "file" (.gguf models, several), "folder" (a Hugging
        Face model folder) or "documents" (PDF, DOCX, EPUB, HTML, Markdown, text; several)."""
        import webview

        if self._window is None:
            return {"paths": []}
        if kind == "folder":
            chosen = self._window.create_file_dialog(webview.FileDialog.FOLDER)
        else:
            types = DOCUMENT_FILE_TYPES if kind == "documents" else MODEL_FILE_TYPES
            chosen = self._window.create_file_dialog(webview.FileDialog.OPEN, allow_multiple=True, file_types=types)
        return {"paths": [str(p) for p in (chosen or [])]}

    def dropped_paths(self, names: list[str] | None = None) -> dict:
        """Full paths of the files just dropped on the window (the page only sees their names)."""
        from webview.dom import _dnd_state

        recorded = _dnd_state["paths"]  # [(name, path)], filled by the webview's native drop handler
        taken = [entry for entry in recorded if names is None or unquote(entry[0]) in names]
        for entry in taken:
            recorded.remove(entry)
        return {"paths": [unquote(path) for _, path in taken]}

    def app_info(self) -> dict:
        return {"platform": sys.platform, "gui": gui_name(), "home": str(hearth_home())}


def create_window(server, bridge: Bridge):
    import webview

    window = webview.create_window(
        TITLE, server.url(), js_api=bridge, width=1200, height=820, min_size=(640, 480), text_select=True, zoomable=True
    )
    bridge.attach(window)
    return window


def run(port: int = 0, on_started=None) -> int:
    """Starts the server and the window; returns when the window closes. `on_started(window, server)`
    runs on a thread once the GUI loop is up (the window test uses it)."""
    if gui_name() == "qt":
        configure_qt_environment()
    try:
        import webview
    except ImportError as e:
        raise HearthError("The window needs pywebview; run `pip install pywebview[qt]`, or use `hearth serve`.") from e
    bridge = Bridge()
    server = build_server(port=port, secret=os.environ.get("HEARTH_LAUNCH_KEY") or None, bridge=bridge).start()
    print(f"Hearth is running at {server.origin}/ui/index.html", file=sys.stderr)
    window = create_window(server, bridge)

    def started() -> None:
        if on_started:
            on_started(window, server)

    try:
        webview.start(started, gui=gui_name(), private_mode=False, storage_path=str(hearth_home() / "webview"))
    finally:
        server.stop()
    return 0


def window_command(args) -> int:
    """The CLI's handler for `hearth` with no command."""
    return run()
