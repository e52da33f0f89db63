"""Plans saved next to their model (models/<id>/plans/*.json), reused while still current."""

import json
from collections.abc import Callable
from pathlib import Path


def cached_plan(path: Path, compiler_version: int, model, traits: dict, compile_: Callable[[], dict]) -> dict:
    """The plan at `path` if the same compiler version made it for this manifest and adapter,
    else `compile_()`, saved there atomically (a read-only store still runs: it just recompiles)."""
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
        if (
            plan.get("compiler_version") == compiler_version
            and plan.get("manifest_created") == model.manifest.get("created")
            and plan.get("adapter") == traits
        ):
            return plan
    except (OSError, ValueError):
        pass
    plan = compile_()
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(plan), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass
    return plan
