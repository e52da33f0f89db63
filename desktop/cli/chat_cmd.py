"""`hearth chat`, `hearth complete` and `hearth bench`: run a model from the store on the GPU.

With --json, stdout carries one JSON document and nothing else: while the command works, anything
written to stdout (by Python or by a native library) goes to stderr instead, and streamed text is
not shown, so an error midway leaves stdout empty. Without --prompt, `hearth chat` is an
interactive terminal chat (see chat_repl)."""

import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np

from desktop.importers.default_model import ensure_model
from desktop.store.model_store import ModelStore
from engine.runner import Sampling


def open_session(args):
    from engine.session import Session

    store = ModelStore()
    model_id = ensure_model(store, args.model, progress=not getattr(args, "json", False))
    return Session(store.open_model(model_id), context=getattr(args, "context", None))


def sampling_of(args) -> Sampling:
    return Sampling(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        seed=args.seed if args.seed is not None else int(time.time()) & 0xFFFFFFFF,
    )


def write_text(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


@contextlib.contextmanager
def stdout_to_stderr(enabled: bool = True):
    """Sends stdout (the Python stream and file descriptor 1) to stderr inside the block."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def print_json(value) -> None:
    print(json.dumps(value, indent=1))


def generate(args, session, prompt: list[int]):
    """Runs one request; without --json the text streams to stdout as it comes."""
    shown = []

    def show(piece: str) -> None:
        shown.append(piece)
        write_text(piece)

    try:
        return session.generate(prompt, sampling_of(args), args.max_tokens, on_text=None if args.json else show)
    except BaseException:
        if shown:
            print()  # end the partial line, so the error on stderr starts a line of its own
        raise


def one_shot(args, tokens_of) -> int:
    """Opens the model, runs tokens_of(session)'s prompt once and reports it."""
    with stdout_to_stderr(args.json):
        session = open_session(args)
        result = generate(args, session, tokens_of(session))
    if args.json:
        print_json(result.as_json())
        return 0
    print()
    t = result.timings
    print(
        f"[{result.completion_tokens} tokens, {t['prefill_tokens_per_second']:.1f} tok/s prefill, "
        f"{t['decode_tokens_per_second']:.1f} tok/s decode, {result.finish_reason}]",
        file=sys.stderr,
    )
    return 0


def chat(args) -> int:
    system = [{"role": "system", "content": args.system}] if args.system else []
    if args.prompt is None:
        if args.json:
            args.usage_error("--json needs --prompt, as the interactive chat prints text")
        from desktop.cli.chat_repl import interactive_chat

        return interactive_chat(args, open_session(args), system)
    messages = system + [{"role": "user", "content": args.prompt}]
    return one_shot(args, lambda session: session.chat_tokens(messages))


def complete(args) -> int:
    return one_shot(args, lambda session: session.text_tokens(args.prompt))


def bench(args) -> int:
    with stdout_to_stderr(args.json):
        session = open_session(args)
        row, lengths = measure(session)
    if args.json:
        print_json({"results": [row]})
        return 0
    from engine.native.gpu import adapter

    info = adapter().info
    print(
        f"{row['model']} on {info.get('device', '?')}: prefill {row['prefill_tokens_per_second']} tok/s "
        f"({lengths[0]} tokens), decode {row['decode_tokens_per_second']} tok/s "
        f"({lengths[1]} tokens), "
        f"load {row['load_gb_per_second']} GB/s, {row['dispatches_per_token']} dispatches/token, "
        f"{row['weight_bytes_per_token'] / 1e6:.1f} MB weights/token"
    )
    return 0


def measure(session) -> tuple[dict, tuple[int, int]]:
    slow = session.plan["adapter"]["kind"] == "cpu"
    prompt_length, decode_length = (64, 16) if slow else (512, 128)
    rng = np.random.default_rng(0)
    prompt = [int(t) for t in rng.integers(10, session.plan["vocab_size"] - 10, prompt_length)]
    runner, greedy = session.runner, Sampling()
    runner.prefill(prompt[: runner.chunk], greedy)  # warm-up: first dispatches compile lazily on some drivers
    runner.rewind(0)
    started = time.perf_counter()
    token = runner.prefill(prompt, greedy)
    prefill_seconds = time.perf_counter() - started
    started = time.perf_counter()
    runner.decode_run(token, decode_length, greedy)
    decode_seconds = time.perf_counter() - started
    session.cached = []  # the cache now holds the benchmark's tokens, not a conversation
    stats = session.plan["stats"]
    row = {
        "model": session.model_id,
        "prefill_tokens_per_second": round(prompt_length / prefill_seconds, 2),
        "decode_tokens_per_second": round(decode_length / decode_seconds, 2),
        "load_gb_per_second": round(session.host.weight_bytes / 1e9 / max(session.host.load_seconds_weights, 1e-9), 3),
        "dispatches_per_token": stats["dispatches"]["decode"],
        "weight_bytes_per_token": stats["weight_bytes_per_token"],
    }
    return row, (prompt_length, decode_length)


# ---- arguments ----
def bounded(convert, low, high=None, low_open=False):
    """An argparse type: a number in [low, high] (or (low, high] when low_open)."""
    words = {int: "a whole number", float: "a number"}[convert]

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {words}, not {text!r}") from None
        too_low = value <= low if low_open else value < low
        if math.isnan(value) or too_low or (high is not None and value > high):
            span = f"above {low}" if low_open else f"at least {low}"
            span += f" and at most {high}" if high is not None else ""
            raise argparse.ArgumentTypeError(f"must be {span}, not {text}")
        return value

    return parse


def _usage_errors_in_one_line(parser: argparse.ArgumentParser) -> None:
    """Bad usage: one sentence on stderr and exit status 2, instead of argparse's usage block."""

    def error(message: str):
        name = parser.prog.split()[-1]
        parser.exit(2, f"{parser.prog}: {message}; see `hearth {name} --help`.\n")

    parser.error = error
    parser.set_defaults(usage_error=error)


def _generation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model id (default: the built-in model)")
    parser.add_argument("--temperature", type=bounded(float, 0.0), default=0.7, help="0 picks the likeliest token")
    parser.add_argument("--top-p", type=bounded(float, 0.0, 1.0, low_open=True), default=1.0)
    parser.add_argument("--top-k", type=bounded(int, 0), default=0, help="0 keeps every token")
    parser.add_argument("--max-tokens", type=bounded(int, 1), default=256)
    parser.add_argument("--seed", type=bounded(int, 0, 0xFFFFFFFF), help="same seed, same text")
    parser.add_argument("--context", type=bounded(int, 32), help="KV cache size in tokens")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def register(sub) -> None:
    p = sub.add_parser("chat", help="chat with a model (interactive without --prompt)")
    p.add_argument("--prompt")
    p.add_argument("--system")
    _generation_options(p)
    _usage_errors_in_one_line(p)
    p.set_defaults(handler=chat)
    p = sub.add_parser("complete", help="continue raw text (no chat template)")
    p.add_argument("--prompt", required=True)
    _generation_options(p)
    _usage_errors_in_one_line(p)
    p.set_defaults(handler=complete)
    p = sub.add_parser("bench", help="measure prefill and decode speed")
    p.add_argument("--model")
    p.add_argument("--context", type=bounded(int, 32))
    p.add_argument("--json", action="store_true")
    _usage_errors_in_one_line(p)
    p.set_defaults(handler=bench)
