"""/api/documents on the real server (real library, real PDFs) with a scripted engine session: adding
files reports a status per file and goes on past a bad one, summaries report progress and can be
cancelled, answers cite the page of the fact with a passage the UI can open, follow-ups keep scope."""

import time

import pytest

from tests.app.conftest import Running, ScriptedSession, copy_default_model, default_model_home  # noqa: F401
from tests.documents.make_docs import write_pdf

FACT = "Orla Vance painted the lighthouse tower crimson in 1911."
PAGES = [
    ("Minutes", ["The council met on Monday to discuss the annual budget and the meeting schedule."]),
    ("Harbour", [FACT]),
    ("Orchard", ["The orchard grows forty varieties of quince for the autumn festival."]),
]


class CitingSession(ScriptedSession):
    """Answers every prompt with a sentence that cites source [1] (the best-ranked passage)."""

    REPLY = "Orla Vance painted it [1] ."

    def stream(self, prompt, sampling, max_tokens, stop, result, on_prefill_chunk=None):
        if on_prefill_chunk is not None:  # the real session calls it between prefill chunks (cancel checks)
            on_prefill_chunk(prompt)
        yield from super().stream(prompt, sampling, max_tokens, stop, result)


@pytest.fixture
def running(default_model_home, tmp_path, monkeypatch):  # noqa: F811
    home = tmp_path / "home"
    copy_default_model(default_model_home, home)
    monkeypatch.setenv("HEARTH_HOME", str(home))
    run = Running(
        home, session_factory=lambda model, context: CitingSession(model, context, delay=0.02), first_run_import=False
    )
    yield run
    run.stop()


def wait_job(client, job: dict, timeout: float = 30) -> tuple[dict, list[dict]]:
    """Polls a job to its end; returns the last state and every distinct progress seen."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/documents/jobs/{job['id']}").json()
        if job["progress"] and (not seen or seen[-1] != job["progress"]):
            seen.append(job["progress"])
        if job["state"] != "running":
            return job, seen
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


def add(client, *paths) -> dict:
    response = client.post("/api/documents/add", json={"paths": [str(p) for p in paths]})
    assert response.status_code == 202, response.text
    return wait_job(client, response.json())[0]


def test_add_reports_each_file_and_goes_on_past_a_bad_one(running, tmp_path):
    pdf = write_pdf(tmp_path / "tower.pdf", PAGES)
    (tmp_path / "empty.txt").write_text("")
    job = add(running.client, tmp_path / "empty.txt", pdf, tmp_path / "nowhere.pdf")
    assert job["state"] == "done"
    by_name = {f["name"]: f for f in job["files"]}
    assert by_name["tower.pdf"]["status"] == "added" and by_name["tower.pdf"]["doc_id"] is not None
    assert by_name["empty.txt"]["status"] == "failed" and "empty.txt" in by_name["empty.txt"]["message"]
    assert by_name["nowhere.pdf"]["status"] == "failed"
    [listed] = running.client.get("/api/documents").json()["documents"]
    assert (listed["name"], listed["pages"], listed["status"]) == ("tower.pdf", 3, "ready")
    assert add(running.client, pdf)["files"][0]["status"] == "unchanged"
    assert running.client.post("/api/documents/add", json={"paths": ["relative.pdf"]}).status_code == 400


def test_ask_cites_the_page_and_the_passage_opens(running, tmp_path):
    client = running.client
    doc_id = add(client, write_pdf(tmp_path / "tower.pdf", PAGES))["result"]["doc_ids"][0]
    conversation = client.post("/api/conversations", json={"title": "tower"}).json()
    body = {
        "question": "Who painted the lighthouse tower crimson?",
        "doc_ids": [doc_id],
        "conversation_id": conversation["id"],
        "max_tokens": 20,
    }
    job, progress = wait_job(client, client.post("/api/documents/ask", json=body).json())
    assert job["state"] == "done", job
    result = job["result"]
    assert result["answer"] == job["text"].strip() == "Orla Vance painted it [1] ."
    [citation] = result["citations"]
    assert (citation["n"], citation["page"], citation["section"], citation["quote"]) == (1, 2, "Harbour", FACT)
    passage = client.get(f"/api/documents/chunks/{citation['chunk_id']}").json()
    assert passage["page"] == 2 and FACT in passage["text"] and passage["name"] == "tower.pdf"
    # a follow-up keeps the documents and sees the previous turn
    follow = {**body, "question": "In which year?"}
    assert wait_job(client, client.post("/api/documents/ask", json=follow).json())[0]["state"] == "done"
    session = running.server.chat_engine.session
    follow_prompt = session.prompts[-1]
    assert [m["role"] for m in follow_prompt] == ["system", "user", "assistant", "user"]
    assert "lighthouse" in follow_prompt[1]["content"] and FACT in follow_prompt[-1]["content"]
    assert client.get("/api/documents/chunks/999999").status_code == 404
    assert client.post("/api/documents/ask", json={**body, "doc_ids": [12345]}).status_code == 404


def test_summary_progress_in_order_and_cancel(running, tmp_path):
    client = running.client
    pages = [(f"Part {n}", [f"Paragraph {n} about topic {n}. " * 60]) for n in range(1, 7)]
    doc_id = add(client, write_pdf(tmp_path / "long.pdf", pages))["result"]["doc_ids"][0]
    body = {"doc_ids": [doc_id], "style": "bullets", "context_size": 512, "max_tokens": 40}
    job, progress = wait_job(client, client.post("/api/documents/summarize", json=body).json(), timeout=60)
    assert job["state"] == "done", job
    maps = [p for p in progress if p["stage"] == "map"]
    assert len(maps) >= 2 and [p["step"] for p in maps] == list(range(1, maps[-1]["total"] + 1))
    assert maps[0]["text"].startswith("section 1 of ")
    assert progress[-1]["stage"] == "final" and job["result"]["method"] == "map_reduce"
    assert job["text"].strip() == job["result"]["summary"]

    started = client.post("/api/documents/summarize", json=body).json()
    deadline = time.monotonic() + 20
    while not (client.get(f"/api/documents/jobs/{started['id']}").json()["progress"] or {}).get("stage") == "map":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    client.post(f"/api/documents/jobs/{started['id']}/cancel")
    cancelled, seen = wait_job(client, started)
    assert cancelled["state"] == "cancelled" and cancelled["result"] is None
    assert all(p["stage"] != "final" for p in seen)
    assert client.post("/api/documents/summarize", json={**body, "style": "poem"}).status_code == 400


def test_remove_and_reindex_a_changed_file(running, tmp_path):
    client = running.client
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nThe kettle is blue.\n")
    doc_id = add(client, path)["result"]["doc_ids"][0]
    time.sleep(1.1)
    path.write_text("# Notes\n\nThe kettle is green now, and the cups are white.\n")
    assert client.get(f"/api/documents/{doc_id}").json()["status"] == "changed"
    job = wait_job(client, client.post(f"/api/documents/{doc_id}/reindex").json())[0]
    assert job["files"][0]["status"] == "reindexed"
    assert client.get(f"/api/documents/{doc_id}").json()["status"] == "ready"
    assert client.delete(f"/api/documents/{doc_id}").json() == {"deleted": doc_id}
    assert client.get("/api/documents").json()["documents"] == []
    assert client.delete(f"/api/documents/{doc_id}").status_code == 404
