"""The chat UI's logic against a scripted streaming engine and an in-memory API (tests/ui/fake_*):
streaming, stop, regenerate, edit-and-resend, conversations, context overflow, inert Markdown."""

import time

ANSWER = "article.message.assistant"
HOSTILE_REPLY = (
    "Look ![cat](https://example.com/cat.png) and [docs](https://example.com/x) "
    '<img src="http://evil.test/x.png" onerror="alert(1)"> <script>alert(2)</script>\n\n'
    "```python\ndef f(x):\n    return 42\n```\n"
)
SHOWCASE_REPLY = "Here is **bold**, a list:\n\n- one\n- two\n\n```js\nconst x = 1; // note\n```\n"
SET_REPLY = "(reply) => { globalThis.fakeReply = reply; }"


def send(page, text: str) -> None:
    page.fill("#prompt", text)
    page.press("#prompt", "Enter")


def answer_texts(page) -> list[str]:
    return page.locator(f"{ANSWER} .message-body").all_inner_texts()


def wait_until(page, expression: str, timeout: float = 15) -> None:
    """Polls a JS expression (page.wait_for_function would eval a string, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def wait_idle(page) -> None:
    page.wait_for_selector("body:not(.generating)", timeout=15_000)
    page.wait_for_selector(f"{ANSWER}:not(.streaming)", timeout=15_000)


def test_tokens_stream_then_the_answer_is_saved(ui, fake_api):
    page = ui.page
    assert page.is_visible("#welcome")
    words = " ".join(f"w{i}" for i in range(12))
    send(page, words)
    page.wait_for_selector("#stop", state="visible")
    lengths = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and page.is_visible("#stop"):
        texts = page.locator(f"{ANSWER}.streaming .message-body").all_inner_texts()
        if texts:
            lengths.append(len(texts[0]))
        page.wait_for_timeout(60)
    wait_idle(page)
    assert len(set(lengths)) >= 3, f"the answer did not grow in steps: {lengths}"
    assert answer_texts(page) == [f"Echo: {words}"]
    assert not page.is_visible("#welcome")
    assert page.inner_text("#conversation-title") == words[:48]
    assert "tok/s" in page.inner_text("#status-speed")
    assert "webview" in page.inner_text("#status-engine")
    [conversation] = fake_api.messages.values()
    assert [(m["role"], m["content"]) for m in conversation] == [("user", words), ("assistant", f"Echo: {words}")]
    assert conversation[1]["meta"]["finish_reason"] == "stop"


def test_escape_stops_and_keeps_the_partial_answer(ui, fake_api):
    page = ui.page
    send(page, " ".join(["long"] * 80))
    wait_until(page, "document.querySelector('.message.assistant.streaming .message-body')?.innerText.length > 12")
    page.keyboard.press("Escape")
    wait_idle(page)
    [text] = answer_texts(page)
    assert 5 < len(text) < len("Echo: ") + 80 * 5
    assert "Stopped." in page.inner_text(f"{ANSWER} .message-note")
    [conversation] = fake_api.messages.values()
    assert conversation[-1]["meta"]["finish_reason"] == "abort"
    assert conversation[-1]["content"].strip() == text


def test_regenerate_replaces_and_edit_resends(ui, fake_api):
    page = ui.page
    send(page, "first question")
    wait_idle(page)
    page.click(f"{ANSWER} button:has-text('Regenerate')")
    wait_idle(page)
    [conversation] = fake_api.messages.values()
    assert [m["role"] for m in conversation] == ["user", "assistant"]
    assert page.locator(ANSWER).count() == 1
    page.click("article.message.user button:has-text('Edit')")
    page.fill("textarea.edit-box", "second question")
    page.press("textarea.edit-box", "Enter")
    wait_idle(page)
    assert answer_texts(page) == ["Echo: second question"]
    [conversation] = fake_api.messages.values()
    assert [m["content"] for m in conversation] == ["second question", "Echo: second question"]


def test_switch_conversations_and_search(ui, fake_api):
    page = ui.page
    send(page, "apples are red")
    wait_idle(page)
    page.click("#new-chat")
    send(page, "the sky is blue")
    wait_idle(page)
    assert page.locator(".conversation-item").count() == 2
    page.click(".conversation-open:has-text('apples are red')")
    wait_until(page, "document.querySelector('#conversation-title').textContent === 'apples are red'")
    assert answer_texts(page) == ["Echo: apples are red"]
    page.fill("#conversation-search", "sky")
    wait_until(page, "document.querySelectorAll('.conversation-item').length === 1")
    assert "the sky is blue" in page.inner_text("#conversation-list")


def test_old_turns_leave_a_full_context_and_the_ui_says_so(ui, fake_api):
    page = ui.page
    page.click("#open-settings")
    page.fill("input[name=context_size]", "256")
    page.fill("input[name=max_tokens]", "236")
    page.click("#settings-form button[type=submit]")
    ten_words = " ".join(["word"] * 10)
    send(page, ten_words)
    wait_idle(page)
    assert page.is_hidden("#context-notice")
    send(page, ten_words)
    wait_idle(page)
    assert "left the prompt" in page.inner_text("#context-notice")
    sent = page.evaluate("globalThis.fakeEngine.requests.at(-1).messages.map((m) => m.role)")
    assert sent == ["user"], "the oldest turn should have left the prompt"


def test_model_output_is_inert_and_code_blocks_have_copy(ui, fake_api):
    page = ui.page
    page.evaluate(SET_REPLY, HOSTILE_REPLY)
    send(page, "markdown-probe")
    wait_idle(page)
    page.wait_for_timeout(300)
    assert ui.leaving_machine() == []
    body = page.locator(f"{ANSWER} .message-body")
    assert body.locator("script").count() == 0
    for image in body.locator("img").all():
        assert image.get_attribute("src") is None and image.get_attribute("onerror") is None
    assert body.locator("a[href]").count() == 0
    assert "example.com/x" in body.locator("a.inert-link").get_attribute("title")
    assert body.locator("pre code .hljs-keyword").first.inner_text() == "def"
    assert body.locator("button.code-copy").count() == 1


def test_light_and_dark_screenshots(ui, fake_api):
    page = ui.page
    page.evaluate(SET_REPLY, SHOWCASE_REPLY)
    send(page, "markdown-probe")
    wait_idle(page)
    ui.screenshot("ui-light")
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    ui.screenshot("ui-dark")
    page.emulate_media(color_scheme="light")
    assert background != page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.set_viewport_size({"width": 550, "height": 360})  # what 200 % zoom leaves of a 1100x720 window
    ui.screenshot("ui-zoom-200")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.locator("#prompt").is_visible() and page.locator("#send").is_visible()


def test_model_manager_lists_size_quantization_memory_and_license(ui, fake_api):
    page = ui.page
    page.click("#open-models")
    row = page.locator("#installed-models tr").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[:4] == ["12.3 MB", "q4", "16.0 MB", "apache-2.0"]
    assert "In use" in cells[4]
    entry = page.locator(".catalog-entry").first
    assert "Tiny Chat" in entry.inner_text() and "90.0 MB" in entry.inner_text()
    assert entry.locator("button:has-text('Download')").is_visible()
    ui.screenshot("ui-models")
    page.keyboard.press("Escape")
    assert not page.is_visible("#models-dialog")
