"""Every test gets its own HEARTH_HOME, so no test ever reads or writes the user's real store."""

import pytest


@pytest.fixture(autouse=True)
def hearth_home(tmp_path, monkeypatch):
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver per test session: a second sync driver in the same process fails."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        yield driver
