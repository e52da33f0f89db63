"""The real pywebview window (Qt backend) under Xvfb: it opens titled Hearth, a question typed into
the UI gets an answer from the native host, and a screenshot is saved to test-artifacts/."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.conftest import copy_default_model

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_the_window_opens_and_answers(default_model_home, hearth_home, tmp_path):
    pytest.importorskip("webview")
    copy_default_model(default_model_home, hearth_home)
    ARTIFACTS.mkdir(exist_ok=True)
    result, screenshot = tmp_path / "window.json", ARTIFACTS / "app-window.png"
    screenshot.unlink(missing_ok=True)
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "HEARTH_LAUNCH_KEY": "window-test-key"}
    command = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1280x900x24",
        sys.executable,
        "-m",
        "tests.app.window_harness",
        str(result),
        str(screenshot),
    ]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert result.exists(), run.stderr[-3000:]
    seen = json.loads(result.read_text())
    assert seen["errors"] == [], seen
    assert seen["ready"] and seen["window_title"] == "Hearth" and seen["document_title"] == "Hearth"
    assert seen["app_info"]["gui"] == "qt"  # the page reached the window's bridge through the server
    user, assistant = seen["saved"][:2]
    assert user == {**user, "role": "user", "content": "Name three colors."}
    assert assistant["role"] == "assistant" and assistant["content"].strip()
    # shown in the window too (rendered as Markdown, so compare a word, not list markers like "1.")
    word = next(w.strip(".,:;*_") for w in assistant["content"].split() if any(c.isalpha() for c in w))
    assert word in seen["messages_text"]
    assert seen["screenshot"] and screenshot.stat().st_size > 10_000
