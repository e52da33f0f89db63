"""Every test gets its own HEARTH_HOME, so no test ever reads or writes the user's real store."""

import pytest


@pytest.fixture(autouse=True)
def hearth_home(tmp_path, monkeypatch):
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home
