"""`hearth chat`, `hearth complete` and `hearth bench`: run a model from the store on the GPU."""

import argparse
import json
import sys
import time

import numpy as np

from desktop.importers.default_model import ensure_model
from desktop.store.model_store import ModelStore
from engine.runner import Sampling


def _open_session(args):
    from engine.session import Session

    store = ModelStore()
    model_id = ensure_model(store, args.model, progress=not getattr(args, "json", False))
    return Session(store.open_model(model_id), context=getattr(args, "context", None))


def _sampling(args) -> Sampling:
    return Sampling(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        seed=args.seed if args.seed is not None else int(time.time()) & 0xFFFFFFFF,
    )


def _write(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _finish(args, result) -> int:
    if args.json:
        print(json.dumps(result.as_json(), indent=1))
    else:
        print()
        t = result.timings
        print(
            f"[{result.completion_tokens} tokens, {t['prefill_tokens_per_second']:.1f} tok/s prefill, "
            f"{t['decode_tokens_per_second']:.1f} tok/s decode, {result.finish_reason}]",
            file=sys.stderr,
        )
    return 0


def chat(args) -> int:
    session = _open_session(args)
    messages = [{"role": "system", "content": args.system}] if args.system else []
    if args.prompt is not None:
        messages.append({"role": "user", "content": args.prompt})
        result = session.generate(
            session.chat_tokens(messages),
            _sampling(args),
            args.max_tokens,
            on_text=None if args.json else _write,
        )
        return _finish(args, result)
    print(f"Chatting with {session.model_id}; an empty line or Ctrl-D ends.", file=sys.stderr)
    while True:
        try:
            line = input("> ")
        except EOFError:
            return 0
        if not line.strip():
            return 0
        messages.append({"role": "user", "content": line})
        result = session.generate(
            session.chat_tokens(messages), _sampling(args), args.max_tokens, on_text=_write
        )
        print()
        messages.append({"role": "assistant", "content": result.text})


def complete(args) -> int:
    session = _open_session(args)
    result = session.generate(
        session.text_tokens(args.prompt),
        _sampling(args),
        args.max_tokens,
        on_text=None if args.json else _write,
    )
    return _finish(args, result)


def bench(args) -> int:
    from engine.native.gpu import adapter

    session = _open_session(args)
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
    for _ in range(decode_length):
        token = runner.decode(token, greedy)
    decode_seconds = time.perf_counter() - started
    stats = session.plan["stats"]
    row = {
        "model": session.model_id,
        "prefill_tokens_per_second": round(prompt_length / prefill_seconds, 2),
        "decode_tokens_per_second": round(decode_length / decode_seconds, 2),
        "load_gb_per_second": round(
            session.host.weight_bytes / 1e9 / max(session.host.load_seconds_weights, 1e-9), 3
        ),
        "dispatches_per_token": stats["dispatches"]["decode"],
        "weight_bytes_per_token": stats["weight_bytes_per_token"],
    }
    if args.json:
        print(json.dumps({"results": [row]}, indent=1))
    else:
        info = adapter().info
        print(
            f"{row['model']} on {info.get('device', '?')}: prefill {row['prefill_tokens_per_second']} tok/s "
            f"({prompt_length} tokens), decode {row['decode_tokens_per_second']} tok/s "
            f"({decode_length} tokens), "
            f"load {row['load_gb_per_second']} GB/s, {row['dispatches_per_token']} dispatches/token, "
            f"{row['weight_bytes_per_token'] / 1e6:.1f} MB weights/token"
        )
    return 0


def _generation_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model id (default: the built-in model)")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--context", type=int, help="KV cache size in tokens")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def register(sub) -> None:
    p = sub.add_parser("chat", help="chat with a model (interactive without --prompt)")
    p.add_argument("--prompt")
    p.add_argument("--system")
    _generation_options(p)
    p.set_defaults(handler=chat)
    p = sub.add_parser("complete", help="continue raw text (no chat template)")
    p.add_argument("--prompt", required=True)
    _generation_options(p)
    p.set_defaults(handler=complete)
    p = sub.add_parser("bench", help="measure prefill and decode speed")
    p.add_argument("--model")
    p.add_argument("--context", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bench)
