"""Adding many files at once: folders expanded, progress per file, cancel between files.

A bad file costs one message and the batch goes on. Meant to run off the UI thread: the caller
passes `on_progress` (called on this thread; marshal it to the UI) and a threading.Event to cancel.
"""

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop.documents.errors import Cancelled, DocumentError
from desktop.documents.library import AddOutcome, Library

# In a folder, only files that look like documents are tried; a file named on its own is always tried,
# because its content decides what it is. Files without a suffix (README, notes) are tried too.
FOLDER_SUFFIXES = {
    ".pdf",
    ".docx",
    ".epub",
    ".html",
    ".htm",
    ".xhtml",
    ".md",
    ".markdown",
    ".mdown",
    ".mkd",
    ".txt",
    ".text",
    ".rst",
    ".log",
    ".csv",
    "",
}


@dataclass(frozen=True)
class Progress:
    done: int  # files finished so far, this one included
    total: int
    path: Path
    status: str  # "added", "reindexed", "unchanged" or "failed"
    message: str | None = None  # the error, or a note such as "read as cp1252"


@dataclass
class BatchReport:
    outcomes: list[AddOutcome] = field(default_factory=list)
    failures: list[tuple[Path, str]] = field(default_factory=list)
    skipped: int = 0  # files in folders that are not documents (images, programs)
    cancelled: bool = False

    @property
    def added(self) -> list[AddOutcome]:
        return [o for o in self.outcomes if o.status != "unchanged"]


def expand(paths: Iterable[Path]) -> tuple[list[Path], int, list[tuple[Path, str]]]:
    """(files to try, files skipped in folders, paths that do not exist), in a stable order."""
    files: list[Path] = []
    skipped = 0
    missing: list[tuple[Path, str]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for found in _walk(path):
                if found.suffix.lower() in FOLDER_SUFFIXES:
                    files.append(found)
                else:
                    skipped += 1
        elif path.is_file():
            files.append(path)
        else:
            missing.append((path, f"There is no file or folder at {path}; check the path."))
    return files, skipped, missing


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .git, .cache: not the user's documents
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def add_paths(
    library: Library,
    paths: Iterable[Path],
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
) -> BatchReport:
    files, skipped, missing = expand(paths)
    report = BatchReport(failures=list(missing), skipped=skipped)
    total = len(files)
    for done, path in enumerate(files, start=1):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        try:
            outcome = library.add(path, cancel)
        except Cancelled:
            report.cancelled = True
            break
        except DocumentError as e:
            report.failures.append((path, str(e)))
            event = Progress(done, total, path, "failed", str(e))
        except OSError as e:  # unreadable file, vanished mid-batch: one message, go on
            message = f"Hearth cannot read {path} ({e.strerror or e}); check its permissions."
            report.failures.append((path, message))
            event = Progress(done, total, path, "failed", message)
        else:
            report.outcomes.append(outcome)
            event = Progress(done, total, path, outcome.status, "; ".join(outcome.notes) or None)
        if on_progress is not None:
            on_progress(event)
    return report
