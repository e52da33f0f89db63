"""One Embedder per test session (importing and loading all-MiniLM-L6-v2 takes seconds on lavapipe),
kept in its own store outside the per-test HEARTH_HOME."""

import pytest

from desktop.store.model_store import ModelStore


@pytest.fixture(scope="session")
def embedder(tmp_path_factory):
    from engine.embeddings import Embedder

    return Embedder(store=ModelStore(tmp_path_factory.mktemp("embedding-store")))
