"""A non-editable install (a wheel built from the committed sources) serves the UI, the vendored npm
libraries and the kernels, and finds assets/ — from site-packages, never from the source tree.

To stay fast it installs with --no-deps into a bare virtual environment that borrows the project
.venv's site-packages (numpy, wgpu, ...) through a .pth line, which does not run .venv's own .pth
files, so .venv's editable `hearth` stays out of sight.
"""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from desktop.resources import VENDOR_PACKAGES
from tests.packaging.install_checks import check_installed_server, source_copy, start_serve

PROBE = """
import json, sys
import desktop, engine.kernels
from desktop import resources
from desktop.assistant import prompts
print(json.dumps({"desktop": desktop.__file__, "root": str(resources.root()), "missing": resources.missing(),
                  "step": engine.kernels.source("step"), "ask_prompt": sorted(prompts.load("ask"))}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """A virtual environment with Hearth installed from a wheel: (its bin folder, the sources built)."""
    work = tmp_path_factory.mktemp("wheel")
    tree = source_copy(work / "src")
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(work)]
    subprocess.run([*build, str(tree)], check=True, capture_output=True, timeout=180)
    wheel = next(work.glob("hearth-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        text=True).strip())
    (site / "borrowed_project_venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=180)
    return venv / "bin", tree


def test_wheel_finds_its_files_in_site_packages(installed, tmp_path):
    bin_dir, _ = installed
    probe = subprocess.run([bin_dir / "python", "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    site = Path(found["desktop"]).parents[1]
    assert site.name == "site-packages" and bin_dir.parent in site.parents, found["desktop"]
    assert Path(found["root"]) == site and found["missing"] == []
    assert "struct Step" in found["step"]  # the shared uniform the kernels include
    assert found["ask_prompt"], "assets/prompts/ask.toml is empty or missing"
    assert not (site / "webui" / "node_modules" / "typescript").exists()  # dev-only npm packages stay out


def test_wheel_serves_ui_vendor_libraries_and_kernels(installed, tmp_path):
    bin_dir, sources = installed
    env = {**os.environ, "HEARTH_HOME": str(tmp_path / "home"), "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    server, origin = start_serve([str(bin_dir / "hearth")], env)
    try:
        served = check_installed_server(origin, sources)
    finally:
        server.kill()
        server.wait()
    vendor = [path for path in served if path.startswith("/vendor/")]
    assert len(vendor) >= len(VENDOR_PACKAGES) + 14  # 14 highlight.js languages besides the five entry points
