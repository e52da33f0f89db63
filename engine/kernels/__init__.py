"""WGSL kernels, one per file. `source(name)` reads engine/kernels/<name>.wgsl and expands
`//!include NAME` lines with engine/kernels/NAME.wgsl (e.g. the shared Step uniform)."""

import re
from functools import cache
from pathlib import Path

KERNEL_DIR = Path(__file__).parent
INCLUDE = re.compile(r"^//!include (\w+)\s*$", re.MULTILINE)


@cache
def source(name: str) -> str:
    text = (KERNEL_DIR / f"{name}.wgsl").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: source(m.group(1)), text)
