"""Headless Chromium (SwiftShader WebGPU) driven by Playwright, against Hearth's real local server."""

import shutil

import pytest

from desktop.importers.default_model import DEFAULT_MODEL_ID, ensure_model
from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--enable-unsafe-webgpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def default_store(tmp_path_factory) -> ModelStore:
    store = ModelStore(tmp_path_factory.mktemp("web-store"))
    ensure_model(store, DEFAULT_MODEL_ID, progress=False)
    return store


@pytest.fixture(scope="session")
def local_server(default_store):
    server = LocalServer(default_store).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory, playwright_driver):
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
    )
    yield context
    context.close()


@pytest.fixture
def page(browser_context, local_server):
    """A page on Hearth's server that holds the session cookie; console errors fail the test."""
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(local_server.url("/ui/index.html"))
    yield tab
    tab.close()
    assert not errors, f"page errors: {errors}"
