"""GET /api/status: the native adapter (or why there is none), first run, and the first-run setup.

On an empty store the built-in model is imported as a background job ("default"); the window shows
its ready state once `setup.state` is "ready".
"""

import threading

from desktop.errors import HearthError
from desktop.importers.default_model import DEFAULT_MODEL_ID, ensure_model

VERSION = "0.1.0"


class NativeProbe:
    """Asks wgpu-native for an adapter once, on a thread (it can take a second on a software driver)."""

    def __init__(self):
        self.result = {"available": None, "adapter": None, "reason": "probing"}
        self.thread = threading.Thread(target=self._probe, name="hearth-gpu-probe", daemon=True)
        self.thread.start()

    def _probe(self) -> None:
        try:
            from engine.native import gpu

            info = gpu.adapter().info
            adapter = {
                "name": info.get("device") or info.get("description") or "unknown adapter",
                "backend": info.get("backend_type"),
                "type": info.get("adapter_type"),
                "vendor": info.get("vendor"),
                "architecture": info.get("architecture"),
            }
            self.result = {"available": True, "adapter": adapter, "reason": None}
        except HearthError as e:
            self.result = {"available": False, "adapter": None, "reason": str(e)}
        except Exception as e:  # wgpu missing or broken: the UI can still use the webview host
            reason = f"The native GPU engine could not start ({type(e).__name__}: {e}); reinstall Hearth."
            self.result = {"available": False, "adapter": None, "reason": reason}


def start_setup(server) -> None:
    """On an empty store, imports the built-in model in the background (first run)."""
    server.first_run = not server.store.ids()
    server.setup_job = None
    if server.first_run:
        server.setup_job = server.jobs.start("default", DEFAULT_MODEL_ID, lambda job: _import_default(server, job))


def _import_default(server, job) -> str:
    job.set_phase("import")
    return ensure_model(server.store, progress=False)


def _setup(server) -> dict:
    job = server.setup_job
    if server.store.ids():
        return {"state": "ready", "job": job.id if job else None, "error": None}
    if job is not None and job.state == "running":
        return {"state": "importing", "job": job.id, "error": None}
    error = job.error if job is not None else None
    return {
        "state": "failed",
        "job": job.id if job else None,
        "error": error or "No model is installed; import one in the model manager.",
    }


def _status(server, request, query, body):
    return 200, {
        "version": VERSION,
        "first_run": server.first_run,
        "default_model": DEFAULT_MODEL_ID,
        "setup": _setup(server),
        "native": dict(server.native_probe.result),
        "api_only": getattr(server, "api_only", False),
    }


def register(server, setup: bool = True) -> None:
    server.native_probe = NativeProbe()
    if setup:
        start_setup(server)
    else:
        server.first_run, server.setup_job = not server.store.ids(), None
    server.api_route("GET", "/api/status", _status)
