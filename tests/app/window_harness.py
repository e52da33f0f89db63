"""Runs the real Hearth window (desktop.app.run, Qt backend) under Xvfb and drives it like a user:
waits for the ready state, asks a question through the UI's composer, waits for the streamed answer
from the native host, saves a screenshot, writes what it saw as JSON, and closes the window.

Usage: python -m tests.app.window_harness RESULT.json SCREENSHOT.png  (HEARTH_LAUNCH_KEY set)
"""

import json
import os
import sys
import threading
import time

import httpx2 as httpx

QUESTION = "Name three colors."
SETTINGS = {"max_tokens": 6, "context_size": 256, "temperature": 0, "engine": "native"}


def _wait(predicate, seconds: float, step: float = 0.5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


class Screenshot:
    """Grabs the window on the GUI thread (Qt widgets may only be touched there)."""

    def __init__(self):
        from qtpy.QtCore import QObject, Signal

        class Grabber(QObject):
            requested = Signal(object, str)

        self.grabber = Grabber()
        self.grabber.requested.connect(self._grab)
        self.done = threading.Event()
        self.saved = False

    def _grab(self, native, path: str) -> None:
        self.saved = bool(native.grab().save(path))
        self.done.set()

    def take(self, window, path: str) -> bool:
        self.done.clear()
        self.grabber.requested.emit(window.native, path)
        self.done.wait(20)
        return self.saved


def drive(window, server, result_path: str, screenshot_path: str, shot: Screenshot) -> None:
    seen: dict = {"errors": []}
    client = httpx.Client(base_url=server.origin, headers={"X-Hearth-Key": server.access.secret}, timeout=30)
    try:
        ready = _wait(lambda: client.get("/api/status").json()["setup"]["state"] == "ready", 120)
        seen["ready"] = bool(ready)
        window.events.loaded.wait(60)
        seen["window_title"] = window.title
        seen["document_title"] = window.run_js("document.title")
        window.run_js(f"localStorage.setItem('hearth.settings', JSON.stringify({json.dumps(SETTINGS)}))")
        window.run_js("location.reload()")
        time.sleep(1)
        seen["reloaded"] = _wait(
            lambda: window.run_js(
                "document.readyState === 'complete' && !!document.querySelector('#prompt') && "
                "!!document.querySelector('#model-select option')"
            ),
            60,
        )
        seen["app_info"] = json.loads(
            window.run_js(
                "(() => { const x = new XMLHttpRequest(); x.open('GET', '/api/app/info', false); x.send();"
                " return x.responseText; })()"
            )
        )
        _wait(
            lambda: window.run_js("!!document.querySelector('#prompt') && !document.querySelector('#send').disabled"),
            60,
        )
        window.run_js(
            f"(() => {{ const box = document.querySelector('#prompt'); box.value = {json.dumps(QUESTION)};"
            "box.dispatchEvent(new Event('input', {bubbles: true}));"
            "document.querySelector('#composer').requestSubmit(); })()"
        )
        started = time.monotonic()

        def answered():  # the UI saves the reply when the stream has ended
            for conversation in client.get("/api/conversations").json()["conversations"]:
                messages = client.get(f"/api/conversations/{conversation['id']}").json()["messages"]
                if any(m["role"] == "assistant" and m["content"].strip() for m in messages):
                    return messages
            return None

        seen["saved"] = _wait(answered, 240, 1.0)
        seen["answer_seconds"] = round(time.monotonic() - started, 1)
        seen["messages_text"] = window.run_js("document.querySelector('#messages').innerText")
        seen["screenshot"] = shot.take(window, screenshot_path)
    except Exception as e:  # reported to the test, which fails with it
        seen["errors"].append(f"{type(e).__name__}: {e}")
    finally:
        with open(result_path, "w") as f:
            json.dump(seen, f, indent=1)
        window.destroy()


def main() -> int:
    from desktop.app import configure_qt_environment, run

    result_path, screenshot_path = sys.argv[1], sys.argv[2]
    configure_qt_environment()
    os.environ.setdefault("QT_QUICK_BACKEND", "software")
    shot = Screenshot()
    return run(
        on_started=lambda window, server: threading.Thread(
            target=drive, args=(window, server, result_path, screenshot_path, shot), daemon=True
        ).start()
    )


if __name__ == "__main__":
    sys.exit(main())
