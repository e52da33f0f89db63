#!/usr/bin/env bash
# Runs every check: lint, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check desktop engine tests
.venv/bin/python -m pytest -q "$@"
