"""Running the real `hearth` command in a subprocess on a store of our choosing."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
JSON_KEYS = {"text", "finish_reason", "usage", "timings"}
JSON_TIMINGS = {"load_seconds", "prefill_tokens_per_second", "decode_tokens_per_second"}


def one_document(done) -> dict:
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)  # fails on anything before or after the document
    assert set(answer) == JSON_KEYS and set(answer["timings"]) == JSON_TIMINGS
    assert set(answer["usage"]) == {"prompt_tokens", "completion_tokens"}
    return answer


def one_sentence(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].endswith("."), lines[0]
    return lines[0]


def hearth_env(home: Path, runtime_dir: Path) -> dict:
    # a private XDG_RUNTIME_DIR keeps Mesa's "XDG_RUNTIME_DIR is invalid" lines out of stderr
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {**os.environ, "HEARTH_HOME": str(home), "XDG_RUNTIME_DIR": str(runtime_dir), "PYTHONUNBUFFERED": "1"}


def hearth_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "desktop.cli.main", *args]


def run_hearth(home: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(
        hearth_command(*args),
        env=hearth_env(home, home.parent / "xdg-runtime"),
        cwd=REPO,
        input=None if stdin is None else stdin.encode(),
        capture_output=True,
        timeout=timeout,
    )
    # decoded by hand: text mode would turn a generated "\r" into "\n"
    done.stdout, done.stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    return done
