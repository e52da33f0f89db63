"""A GPU failure during a request (device lost, out of memory) becomes an EngineError the caller can
act on; after Session.reload() the same conversation gives the same greedy text as before."""

import functools

import pytest
import wgpu

from desktop.errors import EngineError
from engine.native import gpu
from engine.native import host as host_module
from engine.native.host import Host
from engine.runner import GPUFailure, Sampling
from engine.session import Result, Session
from tests.engine.tiny_store import tiny_model

TURN = [{"role": "user", "content": "Name three colors."}]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("recovery"), "qwen3")


def private_device_host(plan, folder):
    """A host on a device of its own, so destroying it leaves the process's shared device alone."""
    return Host(plan, folder, device=gpu.adapter().request_device_sync())


def second_turn(session: Session) -> list[int]:
    """Runs a first turn and returns the prompt of the second, which reuses the cache."""
    reply = session.generate(session.chat_tokens(TURN), Sampling(), max_tokens=4)
    history = TURN + [{"role": "assistant", "content": reply.text}, {"role": "user", "content": "More."}]
    return session.chat_tokens(history)


def test_device_lost_mid_stream_then_reload_gives_the_same_text(model):
    session = Session(model, context=64, host_factory=private_device_host)
    prompt = second_turn(session)
    expected = session.generate(prompt, Sampling(), max_tokens=6)
    assert expected.cached_tokens > 0 and expected.completion_tokens >= 2

    # lose the device after the prompt is prefilled and the first token is out
    result = Result()
    pieces = session.stream(prompt, Sampling(), 6, None, result)
    sent = []
    with pytest.raises(EngineError) as lost:
        for piece in pieces:
            sent.append(piece)
            session.host.device.destroy()
    assert isinstance(lost.value, GPUFailure)
    message = str(lost.value)
    assert "lost" in message and "reload" in message and "\n" not in message
    assert session.needs_reload and session.cached == []
    assert "".join(sent) == expected.text[: len("".join(sent))]

    old_device = session.host.device
    session.reload()
    assert session.host.device is not old_device and not session.needs_reload
    again = session.generate(prompt, Sampling(), max_tokens=6)
    assert again.cached_tokens == 0, "after a reload the whole conversation is prefilled again"
    assert again.text == expected.text and again.finish_reason == expected.finish_reason


class OutOfMemoryOnce(Host):
    """Fails the Nth sampled-token read with the error wgpu raises when an allocation fails."""

    reads_before_failure = None

    def read_sampled(self) -> int:
        if OutOfMemoryOnce.reads_before_failure is not None:
            OutOfMemoryOnce.reads_before_failure -= 1
            if OutOfMemoryOnce.reads_before_failure < 0:
                OutOfMemoryOnce.reads_before_failure = None
                raise wgpu.GPUOutOfMemoryError("Out of Memory\n\nCaused by:\n  Not enough memory left.")
        return super().read_sampled()


def test_out_of_memory_during_decode_names_a_fix_and_the_next_request_reloads(model):
    session = Session(model, context=64, host_factory=OutOfMemoryOnce)
    prompt = session.chat_tokens(TURN)
    expected = session.generate(prompt, Sampling(), max_tokens=5)
    OutOfMemoryOnce.reads_before_failure = 2  # prefill's read and one decode read succeed
    with pytest.raises(GPUFailure) as oom:
        session.generate(prompt, Sampling(), max_tokens=5)
    message = str(oom.value)
    assert "out of memory" in message and "--context" in message and "reload" in message
    failed_host = session.host
    # no explicit reload: the next request rebuilds the host by itself
    again = session.generate(prompt, Sampling(), max_tokens=5)
    assert session.host is not failed_host
    assert again.text == expected.text and again.cached_tokens == 0


def test_losing_the_shared_device_gets_a_fresh_one_on_reload(model, monkeypatch):
    # a shared device private to this test, so the rest of the test process keeps the real one
    shared = functools.cache(lambda: gpu.adapter().request_device_sync())
    monkeypatch.setattr(gpu, "device", shared)
    monkeypatch.setattr(host_module, "default_device", shared)
    session = Session(model, context=64)
    prompt = session.chat_tokens(TURN)
    expected = session.generate(prompt, Sampling(), max_tokens=4)
    lost = shared()
    lost.destroy()
    with pytest.raises(GPUFailure):
        session.generate(prompt, Sampling(), max_tokens=4)
    session.reload()
    assert session.host.device is not lost and shared() is session.host.device
    assert session.generate(prompt, Sampling(), max_tokens=4).text == expected.text


def test_a_host_that_cannot_load_says_to_use_a_smaller_context(model):
    def no_memory(plan, folder):
        raise wgpu.GPUOutOfMemoryError("Out of Memory\n\nCaused by:\n  Not enough memory left.")

    with pytest.raises(EngineError) as refused:
        Session(model, context=64, host_factory=no_memory)
    assert "smaller --context" in str(refused.value) and "Not enough memory left" in str(refused.value)
