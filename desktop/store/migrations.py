"""Store format migrations: MIGRATIONS[n] brings a store from version n to n + 1."""

import json
from pathlib import Path

from desktop.errors import StoreError

CURRENT_VERSION = 1


def _create_layout(root: Path) -> None:
    (root / "models").mkdir(exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)


MIGRATIONS = {0: _create_layout}


def migrate(root: Path) -> None:
    marker = root / "store.json"
    version = json.loads(marker.read_text())["format_version"] if marker.exists() else 0
    if version > CURRENT_VERSION:
        raise StoreError(
            f"The model store at {root} was written by a newer Hearth (format {version}); update Hearth to use it."
        )
    while version < CURRENT_VERSION:
        MIGRATIONS[version](root)
        version += 1
        tmp = marker.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"format_version": version}))
        tmp.replace(marker)
