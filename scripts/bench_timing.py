"""The timing half of scripts/bench_models.py: load a stored model on the native host, time
prefill and decode exactly like DESIGN §6's llama.cpp anchors (512-token prompt, 128 decoded
tokens, medians), and optionally split a step's time by kernel group."""

import argparse
import json
import statistics
import time

import numpy as np

from desktop.store.model_store import ModelStore
from engine.native import gpu
from engine.native.host import Host
from engine.plan import compile_plan, graph
from engine.plan.adapter import traits_of
from engine.runner import ModelRunner, Sampling

GROUPS = {  # kernel name prefix -> group shown by --profile
    "matvec": "matvec",
    "matmul": "matmul",
    "attention": "attention",
    "sample": "sampler",
    "rmsnorm": "norms",
    "rope": "rope",
    "gated": "act",
    "embed": "embed",
}


def open_runner(store: ModelStore, model_id: str, context: int, overrides: dict, chunk: int | None) -> ModelRunner:
    traits = traits_of(gpu.adapter())
    originals = {name: getattr(graph, name) for name in overrides}
    for name, value in overrides.items():  # experiments: what adapter.py would choose instead
        setattr(graph, name, lambda *_args, value=value: value)
    try:
        plan = compile_plan(store.open_model(model_id).manifest, context, traits, chunk=chunk)
    finally:
        for name, original in originals.items():
            setattr(graph, name, original)
    return ModelRunner(Host(plan, store.open_model(model_id).folder))


def time_generation(runner: ModelRunner, prompt_length: int, decode_length: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    prompt = [int(t) for t in rng.integers(10, runner.plan["vocab_size"] - 10, prompt_length)]
    greedy = Sampling()
    runner.prefill(prompt[: runner.chunk], greedy)  # warm-up: drivers compile lazily
    for _ in range(3):
        runner.decode(5, greedy)
    prefill, decode = [], []
    for _ in range(repeats):
        runner.rewind(0)
        started = time.perf_counter()
        token = runner.prefill(prompt, greedy)
        prefill.append(prompt_length / (time.perf_counter() - started))
        started = time.perf_counter()  # pipelined like Session: step k+1 is queued before token k is read
        runner.decode_run(token, decode_length, greedy)
        decode.append(decode_length / (time.perf_counter() - started))
    return {
        "prefill": statistics.median(prefill),
        "decode": statistics.median(decode),
        "prefill_all": prefill,
        "decode_all": decode,
    }


def _gpu_seconds(host: Host, recorded: list, repeats: int) -> float:
    """One pass replaying `recorded` `repeats` times: GPU time per replay, CPU encoding excluded
    from the wait (encoding happens before the clock starts)."""
    encoder = host.device.create_command_encoder()
    compute = encoder.begin_compute_pass()
    for _ in range(repeats):
        for pipeline, group, workgroups in recorded:
            compute.set_pipeline(pipeline)
            compute.set_bind_group(0, group)
            compute.dispatch_workgroups(*workgroups)
    compute.end()
    commands = encoder.finish()
    host.read_sampled()
    started = time.perf_counter()
    host.device.queue.submit([commands])
    host.read_sampled()
    return (time.perf_counter() - started) / repeats


def run_raw(host: Host, program: str) -> None:
    """host.run through wgpu-native's C calls directly (no wgpu-py argument handling): what a
    leaner host could spend encoding a step."""
    from wgpu.backends.wgpu_native._api import ffi, lib

    encoder = host.device.create_command_encoder()
    compute = encoder.begin_compute_pass()
    handle, current = compute._internal, None
    for pipeline, group, workgroups in host.programs[program]:
        if pipeline is not current:
            lib.wgpuComputePassEncoderSetPipeline(handle, pipeline._internal)
            current = pipeline
        lib.wgpuComputePassEncoderSetBindGroup(handle, 0, group._internal, 0, ffi.NULL)
        lib.wgpuComputePassEncoderDispatchWorkgroups(handle, *workgroups)
    compute.end()
    host.device.queue.submit([encoder.finish()])


def _per_step_ms(host: Host, step, repeats: int) -> float:
    host.read_sampled()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    host.read_sampled()
    return (time.perf_counter() - started) / repeats * 1e3


def profile(runner: ModelRunner, program: str, pos: int, repeats: int = 20) -> dict:
    """Milliseconds per step: GPU time of the whole program and of each kernel group alone,
    Python encoding of the pass, and one 4-byte read-back."""
    host, plan = runner.host, runner.plan
    rows = 1 if program == "decode" else runner.chunk
    host.write_step(
        pos=pos,
        n_tokens=rows,
        kv_len=pos + rows,
        history_len=pos + rows,
        vocab_size=plan["vocab_size"],
        **Sampling().fields(),
    )
    recorded = host.programs[program]
    kernels = [plan["pipelines"][d["pipeline"]]["kernel"] for d in plan["programs"][program]]
    out = {"gpu_all": _gpu_seconds(host, recorded, repeats) * 1e3}
    for prefix, group in GROUPS.items():
        subset = [r for r, k in zip(recorded, kernels, strict=True) if k.startswith(prefix)]
        if subset:
            out[group] = out.get(group, 0.0) + _gpu_seconds(host, subset, repeats) * 1e3
    started = time.perf_counter()
    for _ in range(repeats):
        host.run(program)
    out["encode_cpu"] = (time.perf_counter() - started) / repeats * 1e3
    started = time.perf_counter()
    for _ in range(repeats):
        run_raw(host, program)
    out["encode_raw_cpu"] = (time.perf_counter() - started) / repeats * 1e3
    # steps submitted back to back, read back once: the rate a pipelined runner would reach
    out["unsynced_step"] = _per_step_ms(host, lambda: host.run(program), repeats)
    out["unsynced_raw_step"] = _per_step_ms(host, lambda: run_raw(host, program), repeats)
    host.read_sampled()
    started = time.perf_counter()
    for _ in range(repeats):
        host.read_sampled()
    out["readback"] = (time.perf_counter() - started) / repeats * 1e3
    return {k: round(v, 3) for k, v in out.items()}


def main(build, shapes: dict, anchors: dict) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--home", required=True)
    p.add_argument("--models", default=",".join(shapes))
    p.add_argument("--prompt", type=int, default=512)
    p.add_argument("--decode", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--context", type=int, default=8192)
    p.add_argument("--chunk", type=int, help="prefill chunk (default: adapter.py's choice)")
    p.add_argument("--mapping", help="matvec THREADS_PER_ROW x ROWS_PER_WORKGROUP, e.g. 8x8")
    p.add_argument("--splits", type=int, help="attention_decode splits (default: adapter.py's choice)")
    p.add_argument("--norm-workgroup", type=int, help="norm/attention workgroup (default: adapter.py's)")
    p.add_argument("--bandwidth", type=float, default=2.96e12, help="device copy bytes/s (DESIGN §6)")
    p.add_argument("--profile", nargs="?", const="all", choices=["all", "decode"])
    p.add_argument("--json")
    args = p.parse_args()
    overrides = {}
    if args.mapping:
        lanes, rows = (int(v) for v in args.mapping.split("x"))
        overrides["matvec_mapping"] = {"THREADS_PER_ROW": lanes, "ROWS_PER_WORKGROUP": rows}
    if args.splits:
        overrides["attention_splits"] = args.splits
    if args.norm_workgroup:
        overrides["norm_workgroup"] = args.norm_workgroup
    store = ModelStore(args.home)
    info = gpu.adapter().info
    print(
        f"adapter: {info.get('device')} ({info.get('backend_type')}), overrides {overrides or 'none'}, "
        f"chunk {args.chunk or 'default'}",
        flush=True,
    )
    results = []
    for name in args.models.split(","):
        if not store.exists(name):
            started = time.perf_counter()
            build(store, name)
            print(f"built {name} in {time.perf_counter() - started:.1f} s", flush=True)
        runner = open_runner(store, name, args.context, overrides, args.chunk)
        host, stats = runner.host, runner.plan["stats"]
        timing = time_generation(runner, args.prompt, args.decode, args.repeats)
        per_token = stats["weight_bytes_per_token"]
        row = {
            "model": name,
            "prefill_tokens_per_second": round(timing["prefill"], 1),
            "decode_tokens_per_second": round(timing["decode"], 1),
            "load_gb_per_second": round(host.weight_bytes / 1e9 / host.load_seconds_weights, 2),
            "dispatches_per_token": stats["dispatches"]["decode"],
            "weight_bytes_per_token": per_token,
            "bandwidth_share": round(per_token * timing["decode"] / args.bandwidth, 4),
            "runs": {
                "prefill": [round(v, 1) for v in timing["prefill_all"]],
                "decode": [round(v, 1) for v in timing["decode_all"]],
            },
        }
        if args.profile:
            row["profile_decode_ms"] = profile(runner, "decode", pos=args.prompt)
            if args.profile == "all":
                row["profile_prefill_ms"] = profile(runner, "prefill", pos=args.prompt // 2, repeats=2)
        results.append(row)
        row["chunk"] = runner.chunk
        print(json.dumps(row), flush=True)
        del runner, host
        if args.json:  # after every model, so a run cut short still leaves its rows
            with open(args.json, "w") as f:
                json.dump({"adapter": info.get("device"), "mapping": args.mapping, "results": results}, f, indent=1)
    print(
        f"\n| model | prefill tok/s | decode tok/s | load GB/s | dispatches/token | weight MB/token "
        f"| % of {args.bandwidth / 1e12:.2f} TB/s | llama.cpp prefill / decode |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        ref = anchors.get(r["model"], ("?", "?"))
        print(
            f"| {r['model']} | {r['prefill_tokens_per_second']:,.0f} | {r['decode_tokens_per_second']:,.1f} "
            f"| {r['load_gb_per_second']} | {r['dispatches_per_token']} "
            f"| {r['weight_bytes_per_token'] / 1e6:.1f} | {100 * r['bandwidth_share']:.1f} % "
            f"| {ref[0]:,} / {ref[1]:,} |"
        )
