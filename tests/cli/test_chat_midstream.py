"""An error in the middle of a reply: with --json stdout stays empty (no partial text, no half
document) and the error is one sentence on stderr with exit status 1; without --json the text so
far ends its line before the error."""

import json
import os

import pytest
import wgpu

import engine.session
from desktop.cli.main import main
from engine.native.host import Host

LOST = "Validation Error\n\nCaused by:\n  In wgpuQueueWriteBuffer\n    Parent device is lost"


@pytest.fixture
def device_lost_after_three_tokens(monkeypatch, tiny_home):
    monkeypatch.setenv("HEARTH_HOME", str(tiny_home))

    class LosesTheDevice(Host):
        reads = 0

        def read_sampled(self) -> int:
            LosesTheDevice.reads += 1
            if LosesTheDevice.reads > 3:  # the prefill's token and two decoded ones come out first
                raise wgpu.GPUValidationError(LOST)
            return super().read_sampled()

    real = engine.session.Session
    monkeypatch.setattr(
        engine.session, "Session", lambda model, context=None: real(model, context, host_factory=LosesTheDevice)
    )


ARGS = ["complete", "--model", "tiny", "--prompt", "hello", "--max-tokens", "8", "--temperature", "1", "--seed", "3"]


def test_json_mode_leaves_stdout_empty(device_lost_after_three_tokens, capfd):
    assert main([*ARGS, "--json"]) == 1
    out, err = capfd.readouterr()
    assert out == ""
    sentence = err.strip().splitlines()[-1]
    assert sentence.startswith("The GPU device was lost") and "reload" in sentence and sentence.endswith(".")


def test_plain_mode_ends_the_partial_line_then_reports(device_lost_after_three_tokens, capfd):
    assert main(ARGS) == 1
    out, err = capfd.readouterr()
    assert out.strip() and out.endswith("\n") and "{" not in out
    assert err.strip().splitlines()[-1].startswith("The GPU device was lost")


def test_json_mode_sends_stray_output_to_stderr(monkeypatch, tiny_home, capfd):
    """Libraries that print while the model loads (Python or native code) cannot spoil the document."""
    monkeypatch.setenv("HEARTH_HOME", str(tiny_home))

    def noisy_host(plan, folder):
        print("stray print")
        os.write(1, b"stray native write\n")
        return Host(plan, folder)

    real = engine.session.Session
    monkeypatch.setattr(
        engine.session, "Session", lambda model, context=None: real(model, context, host_factory=noisy_host)
    )
    assert main([*ARGS[:5], "--max-tokens", "2", "--json"]) == 0
    out, err = capfd.readouterr()
    assert json.loads(out)["usage"]["completion_tokens"] == 2
    assert "stray print" in err and "stray native write" in err
