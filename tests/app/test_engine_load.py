"""Loading a model on the native host (wgpu, lavapipe here) ahead of the first message: the host
reports the weights' upload, POST /api/engine/load follows it as a job, and the chat then uses the
loaded session instead of loading again."""

import json
import time

import pytest

from desktop.importers.hf_import import import_hf_folder
from desktop.store.model_store import ModelStore
from tests.tiny_hf_models import write_model

TINY = "tiny-llama"
CONTEXT = 128


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-llama-hf")
    write_model(folder, "llama", seed=3)
    return folder


@pytest.fixture
def tiny_store(hearth_home, tiny_folder) -> ModelStore:
    store = ModelStore(hearth_home)
    import_hf_folder(store, tiny_folder, model_id=TINY, progress=False)
    return store


def weights_file_bytes(store: ModelStore) -> int:
    files = store.manifest(TINY)["files"]
    return sum(f["size"] for name, f in files.items() if name.startswith("weights"))


def wait_job(client, job_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running")


def test_the_host_reports_every_weight_range_uploaded(tiny_store):
    from engine.native import gpu
    from engine.native.host import Host
    from engine.plan import plan_for
    from engine.plan.adapter import traits_of

    model = tiny_store.open_model(TINY)
    plan = plan_for(model, CONTEXT, traits_of(gpu.adapter()))
    calls: list[tuple[int, int]] = []
    host = Host(plan, model.folder, on_progress=lambda done, total: calls.append((done, total)))
    ranges = sum(len(spec["ranges"]) for spec in plan["weights"].values())
    assert len(calls) == ranges + 1 and calls[0][0] == 0
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(set(done)) == len(done), "progress went backwards or stalled"
    total = calls[0][1]
    assert all(t == total for _, t in calls) and done[-1] == total == host.weight_bytes
    assert 0.9 * weights_file_bytes(tiny_store) <= total <= weights_file_bytes(tiny_store)  # less the padding


def test_a_load_job_loads_the_session_the_chat_then_uses(start_server, tiny_store):
    app = start_server()
    client = app.client
    assert client.post("/api/engine/load", json={"model": "nope"}).status_code == 404
    started = client.post("/api/engine/load", json={"model": TINY, "context": CONTEXT})
    assert started.status_code == 202 and started.json()["kind"] == "load"
    job = wait_job(client, started.json()["id"])
    assert job["state"] == "done" and job["phase"] == "load" and job["model_id"] == TINY, job
    weights = weights_file_bytes(tiny_store)
    assert 0.9 * weights <= job["bytes_done"] == job["bytes_total"] <= weights
    engine = app.server.chat_engine
    loaded = engine.session
    assert engine.key == (TINY, CONTEXT) and loaded is not None

    body = {"model": TINY, "messages": [{"role": "user", "content": "Name three colors."}], "max_tokens": 3,
            "temperature": 0, "hearth": {"context_size": CONTEXT}}
    answer = client.post("/v1/chat/completions", json=body, timeout=120).json()
    assert answer["usage"]["completion_tokens"] >= 1, json.dumps(answer)
    assert engine.session is loaded, "the chat loaded the model again"
    assert answer["hearth"]["load_seconds"] == pytest.approx(loaded.load_seconds, abs=1e-3)

    again = wait_job(client, client.post("/api/engine/load", json={"model": TINY, "context": CONTEXT}).json()["id"])
    assert again["state"] == "done" and again["bytes_done"] == job["bytes_total"]
    assert engine.session is loaded


def test_a_cancelled_load_stops_between_ranges_and_leaves_nothing_loaded(start_server, tiny_store):
    from tests.app.conftest import ScriptedSession

    def slow_session(model, context, on_progress):  # a load of 20 ranges, 50 ms each
        for done in range(0, 101, 5):
            on_progress(done, 100)
            time.sleep(0.05)
        return ScriptedSession(model, context)

    app = start_server(session_factory=slow_session)
    client = app.client
    job_id = client.post("/api/engine/load", json={"model": TINY, "context": CONTEXT}).json()["id"]
    deadline = time.monotonic() + 10
    while (running := client.get(f"/api/jobs/{job_id}").json())["bytes_done"] < 20:
        assert time.monotonic() < deadline and running["state"] == "running", running
        time.sleep(0.02)
    assert running["bytes_total"] == 100 and running["bytes_per_second"] > 0
    client.post(f"/api/jobs/{job_id}/cancel")
    cancelled = wait_job(client, job_id, 5)
    assert cancelled["state"] == "cancelled" and 20 <= cancelled["bytes_done"] < 100
    assert app.server.chat_engine.session is None and app.server.chat_engine.key is None
