"""The load bar for the native engine, against the scripted API: choosing "Native" in Settings loads
the model through POST /api/engine/load and shows the job's bytes and GB/s, then hides; a failed
load says why."""

import json
import time

MB = 1_000_000
JOB_ID = "j900"


class ScriptedLoad:
    """Answers the load request and then the job's polls with the next state of `states`."""

    def __init__(self, states: list[dict]):
        self.states = states
        self.polls = 0
        self.requests: list[dict] = []

    def job(self) -> dict:
        state = self.states[min(self.polls, len(self.states) - 1)]
        return {"id": JOB_ID, "kind": "load", "title": "fake-chat", "phase": "load", "started": time.time() - 1,
                "bytes_per_second": 0.0, "error": None, "model_id": None, **state}

    def start(self, route) -> None:
        self.requests.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=202, body=json.dumps(self.job()), content_type="application/json")

    def poll(self, route) -> None:
        self.polls += 1
        route.fulfill(status=200, body=json.dumps(self.job()), content_type="application/json")


def choose_native(page, load: ScriptedLoad) -> None:
    page.route("**/api/engine/load", load.start)
    page.route(f"**/api/jobs/{JOB_ID}", load.poll)
    page.click("#open-settings")
    page.select_option("select[name=engine]", "native")
    page.click("#settings-form button[type=submit]")


def watch_load_bar(page, seconds: float = 10) -> list[tuple[str, str | None]]:
    """(text, bar value) each time they change, until the bar hides."""
    seen: list[tuple[str, str | None]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => [document.querySelector('#load-progress').hidden, document.querySelector('#load-progress-text')"
            ".textContent, document.querySelector('#load-progress-bar').getAttribute('value')]")
        hidden, text, value = state
        if not hidden and (not seen or seen[-1] != (text, value)):
            seen.append((text, value))
        if hidden and seen:
            return seen
        page.wait_for_timeout(40)
    raise AssertionError(f"the load bar did not finish: {seen}")


def test_native_load_shows_bytes_and_speed_then_hides(ui):
    page = ui.page
    running = {"state": "running", "bytes_total": 300 * MB, "bytes_per_second": 1.5e9}
    load = ScriptedLoad([
        {**running, "bytes_done": 0, "bytes_total": None, "bytes_per_second": 0.0},
        {**running, "bytes_done": 100 * MB},
        {**running, "bytes_done": 100 * MB},
        {**running, "bytes_done": 200 * MB},
        {**running, "bytes_done": 200 * MB},
        {**running, "bytes_done": 300 * MB},
        {"state": "done", "bytes_done": 300 * MB, "bytes_total": 300 * MB},
    ])
    choose_native(page, load)
    seen = watch_load_bar(page)
    texts = [text for text, _ in seen]
    assert "Loading fake-chat on the native engine: 100 MB of 300 MB, 1.50 GB/s" in texts, texts
    assert "Loading fake-chat on the native engine: 200 MB of 300 MB, 1.50 GB/s" in texts, texts
    values = [float(v) for _, v in seen if v is not None]
    assert any(abs(v - 1 / 3) < 1e-6 for v in values) and any(abs(v - 2 / 3) < 1e-6 for v in values), values
    assert values == sorted(values), "the load bar went backwards"
    assert any("kernels" in t for t in texts), texts  # weights are up, pipelines still compiling
    assert load.requests == [{"model": "fake-chat", "context": 2048}]
    assert page.inner_text("#status-engine") == "Engine: native"
    assert "Fake GPU" in page.inner_text("#status-adapter")
    assert page.is_hidden("#load-progress")


def test_a_failed_native_load_says_why(ui):
    page = ui.page
    reason = "Model 'fake-chat' at context 2048 needs 9.0 GiB but only 2.0 GiB is free; use a smaller model."
    load = ScriptedLoad([
        {"state": "running", "bytes_done": 0, "bytes_total": 300 * MB},
        {"state": "failed", "bytes_done": 0, "bytes_total": 300 * MB, "error": reason},
    ])
    choose_native(page, load)
    deadline = time.monotonic() + 10
    while "Could not load" not in page.inner_text("#load-progress-text"):
        assert time.monotonic() < deadline, page.inner_text("#load-progress-text")
        page.wait_for_timeout(50)
    assert page.inner_text("#load-progress-text") == f"Could not load fake-chat: {reason}"
    assert page.is_visible("#load-progress")
