"""Background jobs (model imports and downloads) with progress a UI can poll, and cancel.

A job's work runs on its own thread and reports through `Job.progress`, which raises JobCancelled
once the user has asked to cancel, so a download stops within one chunk and keeps its partial file.
"""

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.errors import HearthError

RATE_WINDOW_SECONDS = 2.0


class JobCancelled(Exception):
    pass


class JobNotFound(HearthError):
    http_status = 404


@dataclass
class Job:
    id: str
    kind: str
    title: str
    state: str = "running"
    phase: str = "download"
    file: str | None = None
    error: str | None = None
    model_id: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    files: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # name → (done, size)
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    _samples: list[tuple[float, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, file: str, done: int, total: int | None) -> None:
        if self.cancel_requested.is_set():
            raise JobCancelled()
        with self._lock:
            self.file = file
            self.files[file] = (done, total)
            now = time.monotonic()
            self._samples.append((now, self.bytes_done))
            while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_SECONDS:
                self._samples.pop(0)

    def expect(self, sizes: dict[str, int | None]) -> None:
        """The files a download will fetch, before their first bytes: bytes_total is their sum from the
        start, so the bar only fills. A file left out of a later plan has no bytes yet and drops out."""
        with self._lock:
            self.files = {name: self.files.get(name, (0, size)) for name, size in sizes.items()}

    def set_phase(self, phase: str) -> None:
        if self.cancel_requested.is_set():
            raise JobCancelled()
        self.phase = phase

    @property
    def bytes_done(self) -> int:
        return sum(done for done, _ in self.files.values())

    @property
    def bytes_total(self) -> int | None:
        sizes = [size for _, size in self.files.values()]
        return None if not sizes or None in sizes else sum(sizes)

    def _phase(self) -> str:
        """A pull imports once every file it fetches is complete."""
        total = self.bytes_total
        if self.kind == "pull" and self.state == "running" and total and self.bytes_done >= total:
            return "import"
        return self.phase

    def as_dict(self) -> dict:
        with self._lock:
            rate = 0.0
            if len(self._samples) >= 2:
                (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
                rate = (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0
            return {
                "id": self.id,
                "kind": self.kind,
                "title": self.title,
                "state": self.state,
                "phase": self._phase(),
                "file": self.file,
                "bytes_done": self.bytes_done,
                "bytes_total": self.bytes_total,
                "bytes_per_second": rate if self.state == "running" else 0.0,
                "error": self.error,
                "model_id": self.model_id,
                "started": self.started,
                "finished": self.finished,
            }


class Jobs:
    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, kind: str, title: str, work: Callable[[Job], str], on_done=None) -> Job:
        """Runs work(job) on a thread; it returns the id of the model it made."""
        with self._lock:
            job = Job(id=f"j{next(self._ids)}", kind=kind, title=title)
            self._jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, work, on_done), name=f"hearth-{job.id}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Job], str], on_done) -> None:
        try:
            job.model_id = work(job)
            job.state = "done"
        except JobCancelled:
            job.state = "cancelled"
        except HearthError as e:
            job.error, job.state = str(e), "failed"
        except Exception as e:  # a bug; the job still ends with a message instead of hanging "running"
            traceback.print_exc()
            job.error, job.state = f"Hearth hit an internal error ({type(e).__name__}); please report it.", "failed"
        job.finished = time.time()
        if on_done:
            on_done(job)

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"There is no job {job_id}; it may belong to an earlier launch of Hearth.")
        return job

    def all(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        job.cancel_requested.set()
        return job

    def running(self, kind: str, title: str) -> Job | None:
        """The running job of that kind and title, so a second click does not start a second download."""
        return next(
            (j for j in self._jobs.values() if j.state == "running" and (j.kind, j.title) == (kind, title)), None
        )
