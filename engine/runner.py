"""ModelRunner: positions and chunking on top of a host. It knows how many tokens the KV cache
holds and turns "prefill these tokens" / "decode one token" into host steps (docs/plan.md).
A GPU error during a step (device lost, out of memory, validation) becomes a GPUFailure: after it
the cache is in an unknown state, so the owner rebuilds the host (Session.reload)."""

from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

import wgpu

from desktop.errors import EngineError

KEPT = "reload the model to continue (the conversation is kept)"


class GPUFailure(EngineError):
    """A step failed on the GPU; the host must be rebuilt before the next step."""


def gpu_reason(error: Exception) -> str:
    """The driver's reason: the last line of a wgpu error's message."""
    text = str(error).strip()
    return text.splitlines()[-1].strip().rstrip(".") if text else type(error).__name__


def gpu_failure(error: Exception) -> GPUFailure:
    """One actionable sentence for a wgpu error."""
    text, reason = str(error), gpu_reason(error)
    if "lost" in text.lower():
        return GPUFailure(f"The GPU device was lost ({reason}); {KEPT}.")
    if isinstance(error, wgpu.GPUOutOfMemoryError) or "out of memory" in text.lower():
        return GPUFailure(
            f"The GPU ran out of memory ({reason}); {KEPT}, or use a smaller --context or a smaller model."
        )
    return GPUFailure(f"The GPU reported an error ({reason}); {KEPT}.")


@contextmanager
def gpu_errors():
    """Turns wgpu errors raised inside the block into GPUFailure."""
    try:
        yield
    except wgpu.GPUError as e:
        raise gpu_failure(e) from e


@dataclass
class Sampling:
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    seed: int = 0

    def fields(self) -> dict:
        return dict(self.__dict__)


class ModelRunner:
    """Steps are submitted with their sampled token copied aside and read in order, so decode can
    be pipelined: `submit_decode()` queues the step that feeds the token the previous step
    sampled (the sampler left it in `tokens` and `history` on the GPU) before the CPU has read
    that token; `next_token()` reads the oldest queued step's token; `cancel()` forgets steps
    whose tokens are not wanted (after EOS or a stop string) and rewinds the cache over them."""

    def __init__(self, host):
        self.host = host
        self.plan = host.plan
        self.context = self.plan["context"]
        self.chunk = self.plan["chunk"]
        self.pos = 0  # tokens in the KV cache, counting those of steps still in flight
        self.sample_index = 0
        self._in_flight = deque()  # tokens each submitted, unread step added to the cache

    @property
    def in_flight(self) -> int:
        """Steps submitted whose sampled token was not read yet."""
        return len(self._in_flight)

    def rewind(self, length: int) -> None:
        """Keep only the first `length` cached tokens (the rest is overwritten by later steps)."""
        self.cancel()
        self.pos = min(self.pos, length)

    def _step(self, n_tokens: int, sampling: Sampling) -> None:
        self.host.write_step(
            pos=self.pos,
            n_tokens=n_tokens,
            kv_len=self.pos + n_tokens,
            sample_index=self.sample_index,
            history_len=self.pos + n_tokens,
            vocab_size=self.plan["vocab_size"],
            **sampling.fields(),
        )

    def _submitted(self, n_tokens: int) -> None:
        self.pos += n_tokens
        self.sample_index += 1
        self._in_flight.append(n_tokens)

    def prefill(self, tokens: list[int], sampling: Sampling, on_chunk=None) -> int:
        """Feeds tokens (≥ 1) after the cached ones; returns the token sampled after the last."""
        if not tokens:
            raise ValueError("prefill needs at least one token")
        if self.pos + len(tokens) > self.context:
            raise EngineError(
                f"The prompt needs {self.pos + len(tokens)} tokens but the context holds "
                f"{self.context}; start a new chat or use a larger --context."
            )
        for start in range(0, len(tokens), self.chunk):
            piece = tokens[start : start + self.chunk]
            last = start + self.chunk >= len(tokens)
            with gpu_errors():
                self.host.write_tokens(piece)
                self.host.write_tokens(piece, buffer="history", first=self.pos)
                self._step(len(piece), sampling)
                self.host.run("prefill_last" if last else "prefill", read_back=last)
            if on_chunk:
                on_chunk(piece)
            if last:
                self._submitted(len(piece))
            else:
                self.pos += len(piece)
        return self.next_token()

    def decode(self, token: int, sampling: Sampling) -> int:
        """Feeds one token; returns the next (no step may be in flight)."""
        self.submit_decode(sampling, token)
        return self.next_token()

    def submit_decode(self, sampling: Sampling, token: int | None = None) -> None:
        """Queues one decode step at `pos` without waiting for the GPU. With token=None the step
        feeds what the previous step sampled, which is already in place on the GPU; with a token,
        that token is written first (e.g. a token the caller chose itself)."""
        if self.pos + 1 > self.context:
            raise EngineError("The context is full; start a new chat or use a larger --context.")
        with gpu_errors():
            if token is not None:
                self.host.write_tokens([token])
                self.host.write_tokens([token], buffer="history", first=self.pos)
            self._step(1, sampling)
            self.host.run("decode", read_back=True)
        self._submitted(1)

    def decode_run(self, token: int, count: int, sampling: Sampling) -> list[int]:
        """Feeds `token`, then each sampled token back, for `count` steps with one step always
        queued ahead (as Session decodes); returns the `count` sampled tokens."""
        self.submit_decode(sampling, token)
        tokens = []
        for i in range(count):
            if i + 1 < count:
                self.submit_decode(sampling)
            tokens.append(self.next_token())
        return tokens

    def next_token(self) -> int:
        """The token sampled by the oldest step in flight (waits for that step only)."""
        with gpu_errors():
            token = self.host.read_sampled()
        self._in_flight.popleft()
        return token

    def cancel(self) -> None:
        """Forgets the steps in flight: the cache no longer counts their tokens (their K/V slots and
        history entries are overwritten before any later step reads them) and their sample
        indices are reused, so the output is as if they had never been submitted."""
        if self._in_flight:
            self.pos -= sum(self._in_flight)
            self.sample_index -= len(self._in_flight)
            self._in_flight.clear()
        self.host.drop_pending()
