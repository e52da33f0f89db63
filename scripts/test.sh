#!/usr/bin/env bash
# Runs every check: lint (ruff), type checks of the JS (tsc), then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check desktop engine tests scripts
(cd webui && npx --no-install tsc -p tsconfig.json)
.venv/bin/python -m pytest -q "$@"
