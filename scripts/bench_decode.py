"""Decode speed, before and after pipelining, on models with the anchors' shapes (built like
scripts/bench_models.py does). One prefill of a `--prompt`-token prompt, then `--decode` greedy
tokens from the same position in each mode, `--repeats` times, modes interleaved:

    synced_before  the runner as it was: steps recorded through wgpu-py, each token read back
                   (queue.read_buffer) before the next step is recorded
    synced         today's host (steps recorded through wgpu-native's C calls), still one at a time
    pipelined      the step feeding token k is submitted before token k is read (what Session does)
    session        Session.generate's own decode tok/s (pipelined, with detokenising)

Every mode must produce the same tokens as synced_before ("identical"). Also: CPU ms to record
one decode step through wgpu-py and through host.run.

    python scripts/bench_decode.py --home /tmp/bench-home --models smollm2-135m,llama-3.1-8b --json out.json
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from desktop.store.model_store import ModelStore  # noqa: E402
from engine.native import gpu  # noqa: E402
from engine.runner import ModelRunner, Sampling  # noqa: E402
from engine.session import Session  # noqa: E402
from scripts.bench_models import build  # noqa: E402
from scripts.bench_timing import open_runner  # noqa: E402

GREEDY = Sampling()


class BeforeHost:
    """The native host's run/read_sampled as they were before pipelining (commit ebec019)."""

    def __init__(self, host):
        self.host, self.plan = host, host.plan

    def __getattr__(self, name):
        return getattr(self.host, name)

    def run(self, program: str, read_back: bool = False) -> None:
        host = self.host
        encoder = host.device.create_command_encoder()
        compute = encoder.begin_compute_pass()
        current = None
        for pipeline, group, workgroups in host.programs[program]:
            if pipeline is not current:
                compute.set_pipeline(pipeline)
                current = pipeline
            compute.set_bind_group(0, group)
            compute.dispatch_workgroups(*workgroups)
        compute.end()
        host.device.queue.submit([encoder.finish()])

    def read_sampled(self) -> int:
        raw = self.host.device.queue.read_buffer(self.host.buffers[self.plan["io"]["sampled"]], 0, 4)
        return int(np.frombuffer(raw, np.uint32)[0])

    def drop_pending(self) -> None:
        pass


def at(runner: ModelRunner, pos: int) -> ModelRunner:
    runner.rewind(pos)
    runner.pos, runner.sample_index = pos, 1
    return runner


def synced(runner: ModelRunner, first: int, n: int) -> list[int]:
    tokens = [first]
    for _ in range(n):
        tokens.append(runner.decode(tokens[-1], GREEDY))
    return tokens


def pipelined(runner: ModelRunner, first: int, n: int) -> list[int]:
    tokens = [first]
    runner.submit_decode(GREEDY, first)  # the GPU's `tokens` holds another run's token: write it
    for i in range(n):
        if i + 1 < n:
            runner.submit_decode(GREEDY)
        tokens.append(runner.next_token())
    return tokens


def timed(fn, *args) -> tuple[float, list[int]]:
    started = time.perf_counter()
    tokens = fn(*args)
    return time.perf_counter() - started, tokens


def encode_ms(run, host, repeats: int = 20) -> float:
    host.read_sampled()
    started = time.perf_counter()
    for _ in range(repeats):
        run("decode")
    elapsed = time.perf_counter() - started
    host.read_sampled()
    return elapsed / repeats * 1e3


def bench_model(store: ModelStore, name: str, args) -> dict:
    runner = open_runner(store, name, args.context, {}, None)
    host, n = runner.host, args.decode
    before = ModelRunner(BeforeHost(host))
    session = Session(store.open_model(name), args.context, host_factory=lambda plan, folder: host)
    session.eos = set()
    rng = np.random.default_rng(0)
    prompt = [int(t) for t in rng.integers(10, runner.plan["vocab_size"] - 10, args.prompt)]
    runner.prefill(prompt[: runner.chunk], GREEDY)  # warm-up: drivers compile lazily
    runner.rewind(0)
    first = runner.prefill(prompt, GREEDY)
    seconds = {"synced_before": [], "synced": [], "pipelined": [], "session": []}
    reference, identical = None, True
    for _ in range(args.repeats):
        for mode, fn, r in (
            ("synced_before", synced, before),
            ("synced", synced, runner),
            ("pipelined", pipelined, runner),
        ):
            elapsed, tokens = timed(fn, at(r, len(prompt)), first, n)
            seconds[mode].append(elapsed)
            reference = reference or tokens
            identical &= tokens == reference
        result = session.generate(prompt, GREEDY, max_tokens=n + 1)
        seconds["session"].append(n / result.timings["decode_tokens_per_second"])
        identical &= session.cached[len(prompt) :] == reference[:-1]  # the fed tokens
    row = {"model": name, "decode_tokens": n, "identical": identical}
    for mode, values in seconds.items():
        row[f"{mode}_tok_s"] = round(n / statistics.median(values), 1)
        row[f"{mode}_all"] = [round(n / v, 1) for v in values]
    at(runner, len(prompt))
    row["encode_ms_wgpu_py"] = round(encode_ms(before.host.run, host), 3)
    row["encode_ms_host_run"] = round(encode_ms(host.run, host), 3)
    row["dispatches_per_token"] = runner.plan["stats"]["dispatches"]["decode"]
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", required=True)
    p.add_argument("--models", default="smollm2-135m,llama-3.1-8b")
    p.add_argument("--prompt", type=int, default=512)
    p.add_argument("--decode", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--context", type=int, default=8192)
    p.add_argument("--json")
    args = p.parse_args()
    store = ModelStore(args.home)
    info = gpu.adapter().info
    print(f"adapter: {info.get('device')} ({info.get('backend_type')})", flush=True)
    rows = []
    for name in args.models.split(","):
        if not store.exists(name):
            started = time.perf_counter()
            build(store, name)
            print(f"built {name} in {time.perf_counter() - started:.1f} s", flush=True)
        rows.append(bench_model(store, name, args))
        print(json.dumps(rows[-1]), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"adapter": info.get("device"), "results": rows}, f, indent=1)
    print("\n| model | synced before | synced | pipelined | session | identical | encode wgpu-py / host.run ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['synced_before_tok_s']} | {r['synced_tok_s']} | {r['pipelined_tok_s']} "
            f"| {r['session_tok_s']} | {r['identical']} | {r['encode_ms_wgpu_py']} / {r['encode_ms_host_run']} |"
        )


if __name__ == "__main__":
    main()
