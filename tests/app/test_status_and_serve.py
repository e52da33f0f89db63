"""GET /api/status (first run, setup, native adapter) and `hearth serve` for other apps."""

import os
import re
import subprocess
import sys
import time

import httpx2 as httpx

from desktop.importers.gguf_import import import_gguf
from desktop.server import status_api
from tests.gguf_fixtures import write_tiny_gguf


def _status(client, seconds=30, until=lambda s: True) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        status = client.get("/api/status").json()
        if until(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_first_run_imports_a_model_in_the_background_then_is_ready(start_server, tmp_path, monkeypatch):
    gguf = tmp_path / "tiny.gguf"
    write_tiny_gguf(gguf)
    started = []

    def slow_import(store, progress=False):  # stands in for the 10 s import of the built-in model
        started.append(time.monotonic())
        time.sleep(0.5)
        return import_gguf(store, gguf, model_id="tiny", progress=False)["id"]

    monkeypatch.setattr(status_api, "ensure_model", slow_import)
    client = start_server(first_run_import=True).client
    first = client.get("/api/status").json()
    assert first["first_run"] is True and first["setup"]["state"] == "importing"
    job = client.get(f"/api/jobs/{first['setup']['job']}").json()
    assert job["kind"] == "default" and job["state"] == "running"
    ready = _status(client, until=lambda s: s["setup"]["state"] != "importing")
    assert ready["setup"]["state"] == "ready" and [m["id"] for m in client.get("/api/models").json()["models"]] == [
        "tiny"
    ]
    native = _status(client, until=lambda s: s["native"]["reason"] != "probing")["native"]
    assert native["available"] is True or (native["available"] is False and native["reason"].endswith("."))


def test_a_store_with_a_model_is_not_a_first_run(start_server, hearth_home, tmp_path):
    gguf = tmp_path / "tiny.gguf"
    write_tiny_gguf(gguf)
    first = start_server(first_run_import=True)
    import_gguf(first.server.store, gguf, model_id="tiny", progress=False)
    second = start_server(hearth_home, first_run_import=True)
    status = second.client.get("/api/status").json()
    assert status["first_run"] is False and status["setup"] == {"state": "ready", "job": None, "error": None}


def test_hearth_serve_prints_its_url_and_key_and_answers_openai_clients(hearth_home):
    env = {**os.environ, "HEARTH_HOME": str(hearth_home)}
    serve = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli.main", "serve", "--key", "sesame"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = serve.stdout.readline()
        match = re.match(r"Hearth API on (http://127\.0\.0\.1:\d+)/v1 \(key: sesame\)", line)
        assert match, line
        client = httpx.Client(base_url=match[1], timeout=10)
        assert client.get("/v1/models").status_code == 403
        models = client.get("/v1/models", headers={"Authorization": "Bearer sesame"}).json()
        assert models["object"] == "list"
        assert client.post("/api/app/open-dialog", headers={"Authorization": "Bearer sesame"}).status_code == 404
    finally:
        serve.terminate()
        serve.wait(10)
