#!/usr/bin/env bash
# Builds the double-clickable app: $DIST/hearth/hearth (default dist/; on macOS also $DIST/Hearth.app).
# Installs Hearth and its embedded models first (scripts/install.sh), then PyInstaller (the `build`
# extra). BUILD_WORK overrides PyInstaller's work folder (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
BUILD_WORK=${BUILD_WORK:-build}
bash scripts/install.sh
.venv/bin/python -m pip install -q -e ".[build]"
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$BUILD_WORK" build.spec
echo "Built in $(( $(date +%s) - start )) s: $(du -sh "$DIST/hearth" | cut -f1) in $DIST/hearth" >&2
