"""The model manager downloads from a (fake, local, throttled) Hugging Face hub in the real UI on the
real server: a catalog entry's progress bar moves, the download is cancelled and resumed from its
partial file, the model then lists with size, license, quantization and a GPU-memory estimate and
can be used; a repo id typed in the form downloads too."""

import json

import pytest

from desktop.importers.hf_import import import_hf_folder
from desktop.store.model_store import ModelStore
from tests.tiny_hf_models import write_model
from tests.ui.test_chat_e2e import open_ui, poll, start_server
from tests.ui.throttled_hub import ThrottledHub

REPO = "test/tiny-chat"
TYPED_REPO = "test/tiny-chat-typed"
WEIGHTS = "model.safetensors"
HUB_BYTES_PER_SECOND = 80_000  # the tiny model (~0.4 MB) would take ~5 s: several 300 ms polls
HOLD_AT = 150_000  # the hub stops the weights here until the test has cancelled (~2 s in)
README = "---\nlicense: mit\n---\n# Tiny chat\nA random-weight llama for tests.\n"
BAR = "#jobs li.job:first-child progress"
INSTALLED_ROW = "[...document.querySelectorAll('#installed-models th')].some(th => th.innerText.includes('%s ·'))"
BAR_VALUE = f"document.querySelector('{BAR}')?.getAttribute('value')"


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-chat-hf")
    write_model(folder, "llama", seed=3)
    (folder / "README.md").write_text(README, encoding="utf-8")
    return folder


@pytest.fixture
def hub(tiny_folder, tmp_path, monkeypatch):
    catalog = {"models": [{
        "repo_id": REPO, "file": None, "name": "Tiny Chat (test)", "architecture": "llama",
        "parameters": "0.1M", "approx_size_bytes": 400_000, "license": "mit", "description": "A test model.",
    }]}
    (tmp_path / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    monkeypatch.setenv("HEARTH_CATALOG", str(tmp_path / "catalog.json"))
    with ThrottledHub(HUB_BYTES_PER_SECOND, hold_at=HOLD_AT) as hub:
        hub.add_repo(REPO, tiny_folder)
        hub.add_repo(TYPED_REPO, tiny_folder)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


@pytest.fixture
def home(tmp_path, tiny_folder):
    """A store with one model already, so the window starts ready and the download is a second one."""
    root = tmp_path / "home"
    import_hf_folder(ModelStore(root), tiny_folder, model_id="tiny-local", progress=False)
    return root


def intermediate_values(page, count: int, timeout: float = 30) -> list[float]:
    """Polls the newest job's progress bar until it has shown `count` distinct values in (0, 1)."""
    seen: list[float] = []
    deadline = page.evaluate("Date.now()") + timeout * 1000
    while len(seen) < count:
        assert page.evaluate("Date.now()") < deadline, f"the progress bar showed only {seen}"
        value = page.evaluate(BAR_VALUE)
        if value is not None and 0 < float(value) < 1 and float(value) not in seen:
            seen.append(float(value))
        page.wait_for_timeout(50)
    return seen


def test_catalog_download_moves_cancels_resumes_and_lists_the_model(ui_browser, hub, home, monkeypatch):
    server = start_server(home, monkeypatch)
    ui = open_ui(ui_browser, server)
    page = ui.page
    page.click("#open-models")
    page.click("button[aria-label='Download Tiny Chat (test)']")
    intermediate_values(page, 2)
    shot = ui.screenshot("download-progress")
    assert shot.stat().st_size > 10_000
    page.click("#jobs li.job:first-child button:has-text('Cancel')")
    hub.released.set()  # the next piece lets the download notice the cancel
    poll(page, "document.querySelector('#jobs li.job:first-child .job-text')?.textContent === 'Cancelled.'", 10)
    [partial] = (home / "downloads").rglob(f"{WEIGHTS}.*.partial")
    kept = partial.stat().st_size
    size = len(hub.repos[REPO].files[WEIGHTS])
    assert HOLD_AT <= kept < size, "the cancelled download kept no partial weights"
    served_before = hub.bytes_served[WEIGHTS]
    hub.pause /= 4  # the rest need not be watched closely

    page.click("#jobs li.job:first-child button:has-text('Resume')")
    poll(page, "document.querySelectorAll('#jobs li.job').length === 2", 5)
    poll(page, "document.querySelector('#jobs li.job:first-child .job-text')?.textContent === 'Ready: tiny-chat'", 60)
    assert hub.bytes_served[WEIGHTS] - served_before == size - kept, "the resume started the weights over"

    poll(page, INSTALLED_ROW % "tiny-chat", 10)  # the list refreshes after "Ready"
    row = page.locator("#installed-models tr", has_text="tiny-chat · llama")
    cells = row.locator("td").all_inner_texts()
    size_text, quantization, memory, license_ = cells[:4]
    assert size_text.endswith(("KB", "MB")) and memory.endswith(("KB", "MB")), cells
    assert quantization not in ("", "—") and license_ == "mit", cells
    poll(page, "[...document.querySelectorAll('#catalog .badge')].some(b => b.textContent === 'Installed')", 5)

    row.locator("button:has-text('Use')").click()
    assert page.eval_on_selector("#model-select", "s => s.value") == "tiny-chat"
    poll(page, "document.querySelector('#load-progress').hidden", 60)
    assert "Could not load" not in page.inner_text("#load-progress-text")
    assert "tiny" in page.inner_text("#status-model").lower()
    assert not ui.errors, ui.errors
    assert ui.leaving_machine() == []
    page.close()
    server.stop()


def test_a_typed_repo_id_downloads_and_appears(ui_browser, hub, home, monkeypatch):
    server = start_server(home, monkeypatch)
    ui = open_ui(ui_browser, server)
    page = ui.page
    hub.released.set()  # no cancel here, and a quicker download still shows progress
    hub.pause /= 2
    page.click("#open-models")
    page.fill("#download-repo", TYPED_REPO)
    page.press("#download-repo", "Enter")
    intermediate_values(page, 1)
    poll(page, "document.querySelector('#jobs li.job:first-child .job-text')?.textContent.startsWith('Ready')", 60)
    poll(page, INSTALLED_ROW % "tiny-chat-typed", 10)
    options = page.eval_on_selector_all("#model-select option", "os => os.map(o => o.value)")
    assert sorted(options) == ["tiny-chat-typed", "tiny-local"]
    assert not ui.errors, ui.errors
    page.close()
    server.stop()
