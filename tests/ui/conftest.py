"""Playwright fixtures for the chat UI: headless Debian Chromium (SwiftShader WebGPU), Hearth's
local server for the static files, and, for unit-level tests, the scripted API and engine."""

from pathlib import Path

import pytest

from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore
from tests.ui.fake_api import FakeApi
from tests.web.conftest import CHROMIUM, CHROMIUM_FLAGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FAKE_ENGINE = Path(__file__).with_name("fake_engine.js")


@pytest.fixture(scope="session")
def ui_browser(tmp_path_factory, playwright_driver):
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("ui-chromium")), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 720})
    yield context
    context.close()


@pytest.fixture(scope="session")
def static_server(tmp_path_factory):
    server = LocalServer(ModelStore(tmp_path_factory.mktemp("ui-empty-store"))).start()
    yield server
    server.stop()


class UiPage:
    """A page on the UI with every request recorded; `errors` collects uncaught page errors."""

    def __init__(self, page, server):
        self.page, self.server = page, server
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self):
        self.page.goto(self.server.url("/ui/index.html"))
        self.page.wait_for_selector("body.ready", timeout=20_000)
        return self

    def leaving_machine(self) -> list[str]:
        local = (self.server.origin + "/", "data:", "blob:")
        return [u for u in self.requests if not u.startswith(local)]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def fake_api():
    return FakeApi()


@pytest.fixture
def ui(ui_browser, static_server, fake_api):
    """The UI against the scripted API and engine (unit level: no model, no SQLite)."""
    page = ui_browser.new_page()
    page.route("**/api/**", fake_api.route)
    page.route("**/engine/engine.js", lambda route: route.fulfill(
        body=FAKE_ENGINE.read_text(), content_type="text/javascript"))
    page.add_init_script("localStorage.clear()")
    wrapper = UiPage(page, static_server)
    yield wrapper.open()
    page.close()
    assert not wrapper.errors, f"page errors: {wrapper.errors}"
