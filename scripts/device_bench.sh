#!/usr/bin/env bash
# Device-side bench command (the lent H100: Python 3.12 + numpy, no wgpu, no Vulkan loader).
# Carried (git-ignored) from the checkout: .gl (libvulkan1 + libglvnd .debs) and .whl/bench
# (wgpu, cffi, pycparser, rendercanvas, platformdirs wheels). Usage, from the repo root:
#   bash scripts/device_bench.sh [scripts/bench_models.py args...]
# Models are built once under /tmp/bench-home (kept between calls on a warm machine); results
# go to $OUT when set. Safe to call several times in one command.
set -euo pipefail
if [ ! -e /tmp/site/wgpu ]; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/bench/*.whl
fi
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
python3 scripts/bench_models.py --home /tmp/bench-home "$@"
