"""WGSL kernels, one per file. `source(name)` reads engine/kernels/<name>.wgsl."""

from functools import cache
from pathlib import Path

KERNEL_DIR = Path(__file__).parent


@cache
def source(name: str) -> str:
    return (KERNEL_DIR / f"{name}.wgsl").read_text(encoding="utf-8")
