"""Where Hearth keeps user data: HEARTH_HOME, else the platform's user data dir."""

import os
from pathlib import Path

import platformdirs


def hearth_home() -> Path:
    root = os.environ.get("HEARTH_HOME")
    path = Path(root).expanduser() if root else Path(platformdirs.user_data_dir("hearth", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
