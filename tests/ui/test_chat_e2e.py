"""The real UI, the real server (conversations in SQLite under HEARTH_HOME) and the real webview
engine on a tiny random-weight llama in headless Chromium's SwiftShader WebGPU: tokens stream,
stop works, regenerate replaces, conversations switch, and a restarted server still has them."""

import time

import pytest

from desktop.importers.hf_import import import_hf_folder
from desktop.server.hearth_server import build_server
from desktop.store.model_store import ModelStore
from tests.tiny_hf_models import write_model
from tests.ui.conftest import UiPage

TINY_ID = "tiny-llama"
ANSWER = "article.message.assistant"
MAX_TOKENS = 12


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A HEARTH_HOME whose store holds only the tiny model (no first-run import of the default)."""
    root = tmp_path_factory.mktemp("ui-home")
    store = ModelStore(root)
    folder = tmp_path_factory.mktemp("tiny-llama-hf")
    write_model(folder, "llama", seed=3)
    import_hf_folder(store, folder, model_id=TINY_ID, progress=False)
    return root


def start_server(home, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return build_server(store=ModelStore(home), first_run_import=False).start()


def open_ui(browser, server) -> UiPage:
    page = browser.new_page()
    ui = UiPage(page, server)
    page.goto(server.url("/ui/index.html"))
    page.wait_for_selector("body.ready", timeout=30_000)
    settings = {"max_tokens": MAX_TOKENS, "context_size": 256, "temperature": 0}
    page.evaluate("(s) => localStorage.setItem('hearth.settings', JSON.stringify(s))", settings)
    page.reload()
    page.wait_for_selector("body.ready", timeout=30_000)
    return ui


def poll(page, expression: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


# Records the streaming answer's text length at every DOM change, so fast bursts are not missed.
WATCH_STREAM = """() => {
  globalThis.streamLengths = [];
  new MutationObserver(() => {
    const body = document.querySelector('article.message.assistant.streaming .message-body');
    const n = body ? body.innerText.length : -1;
    if (n > 0 && globalThis.streamLengths.at(-1) !== n) globalThis.streamLengths.push(n);
  }).observe(document.querySelector('#messages'), { childList: true, subtree: true, characterData: true });
}"""


def send_and_watch(page, text: str) -> list[int]:
    """Sends `text` and returns the answer's length each time it changed while streaming."""
    page.evaluate(WATCH_STREAM)
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")
    page.wait_for_selector("#stop", state="visible")
    page.wait_for_selector("body:not(.generating)", timeout=180_000)
    return page.evaluate("globalThis.streamLengths")


def test_chat_streams_stops_regenerates_and_survives_a_restart(ui_browser, home, monkeypatch):
    server = start_server(home, monkeypatch)
    ui = open_ui(ui_browser, server)
    page = ui.page
    poll(page, "document.querySelector('#status-engine').textContent.includes('webview')")
    lengths = send_and_watch(page, "Hello there")
    assert len(lengths) >= 2, f"the answer arrived in one piece: {lengths}"
    first_answer = page.locator(f"{ANSWER} .message-body").inner_text()
    assert first_answer.strip()
    assert "tok/s" in page.inner_text("#status-speed")
    assert "Adapter:" in page.inner_text("#status-adapter")
    ui.screenshot("e2e-answer")

    page.click("#open-settings")
    page.fill("input[name=max_tokens]", "200")
    page.click("#settings-form button[type=submit]")
    page.click(f"{ANSWER} button:has-text('Regenerate')")
    poll(page, "document.querySelector('article.message.assistant.streaming .message-body')?.innerText.length > 3")
    page.keyboard.press("Escape")
    page.wait_for_selector("body:not(.generating)", timeout=60_000)
    assert page.locator(ANSWER).count() == 1
    assert "Stopped." in page.inner_text(f"{ANSWER}")

    page.click("#new-chat")
    send_and_watch(page, "Second chat")
    assert page.locator(".conversation-item").count() == 2
    page.click(".conversation-open:has-text('Hello there')")
    poll(page, "document.querySelector('#conversation-title').textContent === 'Hello there'")
    assert page.locator("article.message.user .message-body").inner_text() == "Hello there"
    assert ui.leaving_machine() == []
    assert not ui.errors, ui.errors
    page.close()
    server.stop()

    restarted = start_server(home, monkeypatch)
    ui = open_ui(ui_browser, restarted)
    page = ui.page
    assert (home / "conversations.db").exists()
    titles = page.locator(".conversation-name").all_inner_texts()
    assert sorted(titles) == ["Hello there", "Second chat"]
    page.click(".conversation-open:has-text('Hello there')")
    poll(page, "document.querySelectorAll('article.message').length === 2")
    assert page.locator("article.message.user .message-body").inner_text() == "Hello there"
    ui.screenshot("e2e-after-restart")
    assert not ui.errors, ui.errors
    page.close()
    restarted.stop()
