"""A generation session: prompt → template → tokens → prefill chunks → decode steps → sampler →
streamed text, on the native host. The KV cache is kept across requests: a new request only
prefills the tokens after the longest prefix it shares with what the cache holds.

When a step fails on the GPU (device lost, out of memory) the request raises GPUFailure (an
EngineError) and the session is marked for reload: `reload()` rebuilds the host — on a fresh
device when the old one is lost — and the next request (which reloads by itself if the caller
did not) prefills the whole conversation again. The conversation lives in the caller's messages,
so nothing of it is lost."""

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tokenizers import Tokenizer

from desktop.errors import EngineError
from desktop.store.model_store import StoredModel
from engine.chat_template import render_chat
from engine.plan import plan_for
from engine.plan.adapter import traits_of
from engine.runner import GPUFailure, ModelRunner, Sampling, gpu_reason
from engine.text import StreamDecoder

DEFAULT_CONTEXT = {"cpu": 2048, "gpu": 8192}


@dataclass
class Result:
    text: str = ""
    finish_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens whose K/V were reused from the previous request
    timings: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens},
            "timings": self.timings,
        }


def available_memory() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(plan: dict, traits: dict, model_id: str) -> None:
    """Weights + KV cache + scratch against what the adapter can hold, before loading anything."""
    stats = plan["stats"]
    need = stats["weight_bytes"] + stats["kv_bytes"] + stats["scratch_bytes"]
    largest = max(
        [b["size"] for b in plan["buffers"].values()] + [w["size"] for w in plan["weights"].values()]
    )
    if largest > traits["max_binding"]:
        raise EngineError(
            f"Model '{model_id}' at context {plan['context']} needs a {largest >> 20} MiB buffer "
            f"but this GPU binds at most {traits['max_binding'] >> 20} MiB; "
            "use a smaller --context or a smaller model."
        )
    free = available_memory() if traits["kind"] == "cpu" else None
    if free is not None and need > free:
        raise EngineError(
            f"Model '{model_id}' at context {plan['context']} needs {need / 2**30:.1f} GiB but only "
            f"{free / 2**30:.1f} GiB is free; use a smaller --context or a smaller model."
        )


def _drop_lost_default_device() -> None:
    """The process-wide device is cached; once lost, every later call on it fails, so forget it."""
    import wgpu

    from engine.native import gpu

    try:
        gpu.device().create_buffer(size=4, usage=wgpu.BufferUsage.COPY_DST)
    except wgpu.GPUError:
        gpu.device.cache_clear()


class Session:
    def __init__(self, model: StoredModel, context: int | None = None, host_factory=None):
        """host_factory(plan, model_folder) → host; default: the native Host on the shared device."""
        from engine.native import gpu

        start = time.perf_counter()
        self.model = model
        self.model_id = model.manifest["id"]
        traits = traits_of(gpu.adapter())
        context = context or min(
            DEFAULT_CONTEXT[traits["kind"]], model.manifest.get("context_length") or 2048
        )
        self.plan = plan_for(model, context, traits)
        check_memory(self.plan, traits, self.model_id)
        self.host_factory = host_factory
        self.needs_reload = False
        self._build_host()
        self.tokenizer = Tokenizer.from_file(str(model.folder / "tokenizer.json"))
        template_path = model.folder / "chat_template.jinja"
        self.template = template_path.read_text(encoding="utf-8") if template_path.exists() else None
        specials = model.manifest.get("special_tokens") or {}
        self.eos = set(specials.get("eos") or [])
        self.bos_id = specials.get("bos")
        self.load_seconds = time.perf_counter() - start

    def _build_host(self) -> None:
        import wgpu

        from engine.native.host import Host

        self.host = self.runner = None  # free the old buffers before allocating new ones
        try:
            self.host = (self.host_factory or Host)(self.plan, self.model.folder)
        except wgpu.GPUError as e:
            raise EngineError(
                f"Model '{self.model_id}' at context {self.plan['context']} could not be loaded on the GPU "
                f"({gpu_reason(e)}); use a smaller --context or a smaller model."
            ) from e
        self.runner = ModelRunner(self.host)
        self.cached: list[int] = []  # tokens whose K/V the cache holds, in order

    def reload(self) -> None:
        """Rebuilds the host after a GPU failure; the next request prefills its whole prompt."""
        if self.host_factory is None:
            _drop_lost_default_device()
        self._build_host()
        self.needs_reload = False

    # ---- prompts ----
    def _token_text(self, token_id) -> str:
        return "" if token_id is None else (self.tokenizer.id_to_token(token_id) or "")

    def chat_tokens(self, messages: list[dict]) -> list[int]:
        if not self.template:
            raise EngineError(f"Model '{self.model_id}' has no chat template; use `hearth complete` instead.")
        eos_id = min(self.eos) if self.eos else None
        text = render_chat(
            self.template,
            messages,
            True,
            bos_token=self._token_text(self.bos_id),
            eos_token=self._token_text(eos_id),
        )
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def text_tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=True).ids

    # ---- generation ----
    def generate(
        self,
        prompt: list[int],
        sampling: Sampling | None = None,
        max_tokens: int = 256,
        stop: list[str] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Result:
        pieces = []
        result = Result(prompt_tokens=len(prompt))
        for piece in self.stream(prompt, sampling or Sampling(), max_tokens, stop, result):
            pieces.append(piece)
            if on_text:
                on_text(piece)
        result.text = "".join(pieces)
        return result

    def _reuse_prefix(self, prompt: list[int]) -> int:
        shared = 0
        for a, b in zip(self.cached, prompt, strict=False):
            if a != b:
                break
            shared += 1
        return min(shared, len(prompt) - 1)  # at least one token is fed, to get its next token

    def stream(
        self,
        prompt: list[int],
        sampling: Sampling,
        max_tokens: int,
        stop: list[str] | None,
        result: Result,
        on_prefill_chunk: Callable[[list[int]], None] | None = None,
    ) -> Iterator[str]:
        """Streams the reply's text. `on_prefill_chunk(tokens)` runs after each prefill chunk: raising
        there (a cancel) stops before the next chunk, and the cache keeps only the tokens fed so far."""
        if not prompt:
            raise EngineError("The prompt is empty; type something to send.")
        context = self.plan["context"]
        if len(prompt) >= context:
            raise EngineError(
                f"The prompt has {len(prompt)} tokens but the context holds {context}; "
                "use a shorter prompt, start a new chat, or use a larger --context."
            )
        if self.needs_reload:
            self.reload()
        try:
            yield from self._generate(prompt, sampling, max_tokens, stop, result, on_prefill_chunk)
        except GPUFailure:
            self.needs_reload = True
            self.cached = []
            raise

    def _generate(
        self,
        prompt: list[int],
        sampling: Sampling,
        max_tokens: int,
        stop: list[str] | None,
        result: Result,
        on_prefill_chunk: Callable[[list[int]], None] | None = None,
    ) -> Iterator[str]:
        context = self.runner.context
        shared = self._reuse_prefix(prompt)
        result.cached_tokens = shared
        self.runner.rewind(shared)
        self.runner.sample_index = 0  # a seed gives the same draws on every request, as in the webview host
        self.cached = prompt[:shared]
        started = time.perf_counter()
        # on_chunk only when asked for: callers that stand in for prefill(tokens, sampling) keep working
        hook = {"on_chunk": on_prefill_chunk} if on_prefill_chunk else {}
        token = self.runner.prefill(prompt[shared:], sampling, **hook)
        self.cached = list(prompt)
        prefill_seconds = time.perf_counter() - started
        decoder = StreamDecoder(self.tokenizer, stop)
        decode_started, generated, finish = time.perf_counter(), 0, "length"
        runner = self.runner

        def wanted(k: int) -> bool:
            """Whether the step feeding the k-th generated token may run: known before the token is."""
            return k < max_tokens and runner.pos + 1 <= context

        # Pipelined: the step feeding token k is submitted before token k is read (the sampler left
        # it on the GPU), so the GPU computes while Python records the next step and streams text.
        # A step submitted for a token that turns out to end the reply is cancelled: the runner
        # rewinds over it and the output is the same as one step at a time.
        try:
            if wanted(1):
                runner.submit_decode(sampling)
            while True:
                if token in self.eos:
                    finish = "stop"
                    break
                generated += 1
                piece = decoder.add(token)
                if piece:
                    yield piece
                if decoder.stopped:
                    finish = "stop"
                    break
                if not runner.in_flight:  # wanted(generated) was false: max_tokens or context
                    finish = "length"
                    break
                if wanted(generated + 1):
                    runner.submit_decode(sampling)
                fed = token
                token = runner.next_token()
                self.cached.append(fed)
        finally:
            runner.cancel()
            # a stream closed early (cancel, client gone) never reaches the end: count what it made
            result.completion_tokens = generated
        tail = decoder.flush()
        if tail:
            yield tail
        decode_seconds = time.perf_counter() - decode_started
        result.finish_reason = finish
        result.completion_tokens = generated
        result.timings = {
            "load_seconds": round(self.load_seconds, 4),
            "prefill_tokens_per_second": round((len(prompt) - shared) / max(prefill_seconds, 1e-9), 2),
            "decode_tokens_per_second": round(max(generated - 1, 0) / max(decode_seconds, 1e-9), 2),
        }
