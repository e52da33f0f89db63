"""One embedding store and one Embedder per test session (importing and loading all-MiniLM-L6-v2
takes seconds on lavapipe), kept outside the per-test HEARTH_HOME."""

import pytest

from desktop.store.model_store import ModelStore


@pytest.fixture(scope="session")
def embedding_model_store(tmp_path_factory):
    from engine.embeddings import ensure_embedding_model

    store = ModelStore(tmp_path_factory.mktemp("embedding-store"))
    ensure_embedding_model(store)
    return store


@pytest.fixture(scope="session")
def embedder(embedding_model_store):
    from engine.embeddings import Embedder

    return Embedder(store=embedding_model_store)
