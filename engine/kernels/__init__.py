"""WGSL kernels, one per file. `source(name)` reads engine/kernels/<name>.wgsl and expands
`//!include NAME` lines with engine/kernels/NAME.wgsl (e.g. the shared Step uniform)."""

import re
from functools import cache

from desktop import resources

KERNEL_DIR = resources.kernels_dir()
INCLUDE = re.compile(r"^//!include (\w+)\s*$", re.MULTILINE)


@cache
def source(name: str) -> str:
    text = (KERNEL_DIR / f"{name}.wgsl").read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: source(m.group(1)), text)
