"""/api/documents with embeddings (a GPU-free stand-in embedder): on a GPU the add job embeds new
documents with an "embed" step, answers report hybrid retrieval, removing a document drops its
vectors; without an engine answers still come, ranked by BM25, and the status says why."""

import pytest

from desktop.documents import dense as dense_module
from desktop.errors import EngineError
from tests.app.conftest import default_model_home  # noqa: F401 - fixture
from tests.documents.fake_embedder import FakeEmbedder
from tests.documents.make_docs import write_pdf
from tests.ui.test_documents_api import PAGES, add, running, wait_job  # noqa: F401 - fixture


@pytest.fixture
def embedder(monkeypatch):  # before `running`: the server's DenseIndex resolves its factory when built
    fake = FakeEmbedder()
    monkeypatch.setattr(dense_module, "_default_embedder", lambda: fake)
    monkeypatch.setattr("desktop.server.documents_api.on_a_gpu", lambda: True)
    return fake


def ask(client, doc_id) -> dict:
    body = {"question": "Who painted the lighthouse tower?", "doc_ids": [doc_id], "max_tokens": 8}
    job, _ = wait_job(client, client.post("/api/documents/ask", json=body).json())
    assert job["state"] == "done", job
    return job["result"]


def test_add_embeds_ask_is_hybrid_and_delete_prunes(embedder, running, tmp_path):  # noqa: F811
    client = running.client
    job = add(client, write_pdf(tmp_path / "tower.pdf", PAGES))
    doc_id = job["result"]["doc_ids"][0]
    assert job["progress"]["stage"] == "embed" and job["progress"]["step"] == job["progress"]["total"] == 3
    vectors = running.home / "documents" / "embeddings"
    assert [p.name.split("-")[0] for p in vectors.glob("*.npy")] == [f"doc{doc_id}"]
    embedded = len(embedder.calls)
    result = ask(client, doc_id)
    assert result["retrieval"] == {"mode": "hybrid", "reason": None} and result["citations"][0]["page"] == 2
    assert len(embedder.calls) == embedded + 1  # only the question: the passages were embedded at add
    assert client.get("/api/documents").json()["retrieval"]["mode"] == "hybrid"
    assert client.delete(f"/api/documents/{doc_id}").status_code == 200
    assert list(vectors.glob("*.npy")) == []


@pytest.fixture
def no_engine(monkeypatch):
    def no_adapter():
        raise EngineError("No GPU adapter was found (test); install a Vulkan driver.")

    monkeypatch.setattr(dense_module, "_default_embedder", no_adapter)


def test_without_an_engine_answers_rank_by_bm25_and_say_why(no_engine, running, tmp_path):  # noqa: F811
    client = running.client
    doc_id = add(client, write_pdf(tmp_path / "tower.pdf", PAGES))["result"]["doc_ids"][0]
    result = ask(client, doc_id)
    assert result["retrieval"]["mode"] == "bm25" and "No GPU adapter" in result["retrieval"]["reason"]
    assert result["citations"][0]["page"] == 2
    assert client.get("/api/documents").json()["retrieval"]["mode"] == "bm25"
