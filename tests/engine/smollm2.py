"""The real default model (SmolLM2-135M-Instruct Q4_1), imported once per test session."""

import pytest

from desktop.importers.default_model import DEFAULT_MODEL_ID, ensure_model
from desktop.store.model_store import ModelStore


@pytest.fixture(scope="session")
def smollm2_store(tmp_path_factory):
    store = ModelStore(tmp_path_factory.mktemp("smollm2-home"))
    ensure_model(store, DEFAULT_MODEL_ID, progress=False)
    return store
