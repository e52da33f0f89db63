"""The model manager's API over real HTTP: import by path, pull from the fake hub with progress,
cancel and resume, the memory estimate, the catalog, delete."""

import json
import time

import pytest

from desktop.server import jobs
from desktop.server.models_api import CATALOG
from tests.fake_hub import FakeHub
from tests.gguf_fixtures import write_tiny_gguf

SUPPORTED = {"llama", "qwen2", "qwen3", "gemma3"}


def _wait_job(client, job_id, states=("done", "failed", "cancelled"), seconds=60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['state']}")


@pytest.fixture
def gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    write_tiny_gguf(path)
    return path


def test_import_by_path_lists_the_model_with_a_memory_estimate_and_delete_removes_it(start_server, gguf):
    client = start_server().client
    job = client.post("/api/models/import", json={"path": str(gguf), "id": "tiny"})
    assert job.status_code == 202
    done = _wait_job(client, job.json()["id"])
    assert done["state"] == "done" and done["model_id"] == "tiny"
    listing = client.get("/api/models", params={"context": 128}).json()
    [model] = listing["models"]
    assert listing["default"] == "tiny" and model["quantization"] and model["license"] == "mit"
    config = json.loads((start_server().home / "models" / "tiny" / "manifest.json").read_text())["config"]
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_heads"]
    memory = model["memory"]
    assert memory["kv_cache_bytes"] == 2 * config["num_layers"] * 128 * config["num_kv_heads"] * head_dim * 4
    assert 0 < memory["weights_bytes"] <= model["size_bytes"]
    assert memory["total_bytes"] == memory["weights_bytes"] + memory["kv_cache_bytes"]
    assert client.get("/api/models/tiny", params={"context": 100000}).json()["memory"]["context"] == 256
    assert client.delete("/api/models/tiny").json() == {"deleted": "tiny"}
    assert client.get("/api/models").json()["models"] == []
    assert client.delete("/api/models/tiny").status_code == 404


def test_import_of_a_missing_or_bad_file_says_so(start_server, tmp_path):
    client = start_server().client
    assert client.post("/api/models/import", json={"path": str(tmp_path / "none.gguf")}).status_code == 400
    (tmp_path / "bad.gguf").write_bytes(b"nope" * 10)
    failed = _wait_job(
        client, client.post("/api/models/import", json={"path": str(tmp_path / "bad.gguf")}).json()["id"]
    )
    assert failed["state"] == "failed" and "not a GGUF file" in failed["error"]


def test_pull_shows_progress_can_be_cancelled_and_resumes(start_server, tmp_path, monkeypatch):
    real_progress = jobs.Job.progress

    def slow_progress(self, file, done, total):  # the fake hub is too fast to watch otherwise
        time.sleep(0.02)
        real_progress(self, file, done, total)

    monkeypatch.setattr(jobs.Job, "progress", slow_progress)
    app = start_server()
    client = app.client
    big = tmp_path / "big.gguf"
    write_tiny_gguf(big, metadata={"general.description": "padding " * 500_000})  # 4 MB: many chunks
    data = big.read_bytes()
    with FakeHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        hub.add_repo("test/Tiny-GGUF", files={"tiny.gguf": data, "README.md": b"# tiny"})
        body = {"repo_id": "test/Tiny-GGUF", "file": "tiny.gguf", "id": "tiny-pulled"}
        job = client.post("/api/models/pull", json=body).json()
        seen = []
        while len(seen) < 3:
            state = client.get(f"/api/jobs/{job['id']}").json()
            if state["bytes_done"] and state["state"] == "running":
                seen.append(state["bytes_done"])
            assert state["state"] == "running", state
            time.sleep(0.01)
        assert state["bytes_total"] == len(data) and 0 < seen[0] <= seen[-1] < len(data)
        client.post(f"/api/jobs/{job['id']}/cancel")
        cancelled = _wait_job(client, job["id"])
        assert cancelled["state"] == "cancelled"
        [partial] = (app.home / "downloads").rglob("tiny.gguf.*.partial")
        kept = partial.stat().st_size
        assert cancelled["bytes_done"] <= kept < len(data)
        served_before = hub.bytes_served["tiny.gguf"]
        assert client.get("/api/models").json()["models"] == []

        monkeypatch.setattr(jobs.Job, "progress", real_progress)
        again = _wait_job(client, client.post("/api/models/pull", json=body).json()["id"])
        assert again["state"] == "done" and again["model_id"] == "tiny-pulled"
        assert again["bytes_done"] == again["bytes_total"] == len(data)
        assert hub.bytes_served["tiny.gguf"] - served_before == len(data) - kept  # resumed, not started over
    [model] = client.get("/api/models").json()["models"]
    assert model["source"]["repo_id"] == "test/Tiny-GGUF"


def test_catalog_lists_supported_models_with_sizes_and_licenses(start_server):
    catalog = start_server().client.get("/api/catalog").json()
    assert len(catalog["models"]) >= 6
    for entry in catalog["models"]:
        assert entry["architecture"] in SUPPORTED
        assert entry["repo_id"].count("/") == 1 and entry["license"] and entry["approx_size_bytes"] > 10**8
        assert entry["file"] is None or entry["file"].endswith(".gguf")
        assert entry["installed"] is False
    assert json.loads(CATALOG.read_text())["models"][0]["repo_id"] == catalog["models"][0]["repo_id"]
