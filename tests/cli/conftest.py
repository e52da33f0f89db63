"""Fixtures shared by the CLI tests: one tiny model store for the whole session."""

from pathlib import Path

import pytest

from tests.engine.tiny_store import tiny_model


@pytest.fixture(scope="session")
def tiny_home(tmp_path_factory) -> Path:
    """A HEARTH_HOME holding one tiny random Qwen3 model with the id 'tiny'."""
    root = tmp_path_factory.mktemp("tiny-cli")
    tiny_model(root, "qwen3")
    return root / "home"
