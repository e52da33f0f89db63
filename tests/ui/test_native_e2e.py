"""The forced native engine from the real UI: Chromium here always has SwiftShader WebGPU, so the
"Native" setting is what sends a chat to the native host (wgpu-native on lavapipe) on the real
server. The model loads through the load job, tokens stream over POST /v1/chat/completions
(server-sent events) and Escape stops the server's generation."""

import time

import pytest

from desktop.importers.hf_import import import_hf_folder
from desktop.store.model_store import ModelStore
from tests.tiny_hf_models import write_model
from tests.ui.conftest import UiPage
from tests.ui.test_chat_e2e import ANSWER, poll, send_and_watch, start_server

TINY_ID = "tiny-llama"
SETTINGS = {"engine": "native", "max_tokens": 12, "context_size": 256, "temperature": 0}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("native-ui-home")
    folder = tmp_path_factory.mktemp("tiny-llama-hf")
    write_model(folder, "llama", seed=3)
    import_hf_folder(ModelStore(root), folder, model_id=TINY_ID, progress=False)
    return root


def open_native_ui(browser, server) -> UiPage:
    page = browser.new_page()
    ui = UiPage(page, server)
    page.goto(server.url("/ui/index.html"))
    page.wait_for_selector("body.ready", timeout=30_000)
    page.evaluate("(s) => localStorage.setItem('hearth.settings', JSON.stringify(s))", SETTINGS)
    page.reload()
    page.wait_for_selector("body.ready", timeout=30_000)
    return ui


def test_forced_native_engine_streams_from_the_native_host_and_stops(ui_browser, home, monkeypatch):
    server = start_server(home, monkeypatch)
    ui = open_native_ui(ui_browser, server)
    page = ui.page
    poll(page, "document.querySelector('#status-engine').textContent === 'Engine: native'", 10)
    poll(page, "document.querySelector('#load-progress').hidden", 120)
    loads = [j for j in server.jobs.all() if j.kind == "load"]
    assert loads and loads[0].state == "done" and loads[0].bytes_done == loads[0].bytes_total > 0
    assert server.chat_engine.key == (TINY_ID, 256)
    loaded = server.chat_engine.session

    lengths = send_and_watch(page, "Hello there")
    assert len(lengths) >= 2, f"the answer arrived in one piece: {lengths}"
    assert page.locator(f"{ANSWER} .message-body").inner_text().strip()
    chats = [u for u in ui.requests if u.startswith(server.origin + "/v1/chat/completions")]
    assert len(chats) == 1, ui.requests
    assert server.chat_engine.session is loaded, "the chat loaded the model a second time"
    assert "tok/s" in page.inner_text("#status-speed")
    adapter = server.native_probe.result["adapter"]["name"]
    assert page.inner_text("#status-adapter") == f"Adapter: {adapter}"
    ui.screenshot("native-answer")

    page.click("#open-settings")
    page.fill("input[name=max_tokens]", "200")
    page.click("#settings-form button[type=submit]")
    page.click(f"{ANSWER} button:has-text('Regenerate')")
    poll(page, "document.querySelector('article.message.assistant.streaming .message-body')?.innerText.length > 3")
    page.keyboard.press("Escape")
    page.wait_for_selector("body:not(.generating)", timeout=30_000)
    assert "Stopped." in page.inner_text(ANSWER)
    deadline = time.monotonic() + 5
    while server.chat_engine.generation_lock.locked():  # the server notices the closed stream
        assert time.monotonic() < deadline, "the native host kept generating after the stop"
        time.sleep(0.05)
    assert not ui.errors, ui.errors
    assert ui.leaving_machine() == []
    page.close()
    server.stop()
