"""Background work on documents (adding files, summaries, answers) that the UI polls and can cancel.

Unlike the byte-counting model jobs (jobs.py), a document job reports steps ("section 4 of 19"),
a status per file, and text that grows while the model writes it; the UI polls GET …/jobs/ID
every few hundred milliseconds and appends what is new. A cancel sets an Event that the library
checks between PDF pages and the assistant between model calls and streamed pieces.
"""

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop.assistant.errors import Cancelled as AssistantCancelled
from desktop.documents.errors import Cancelled as DocumentsCancelled
from desktop.errors import HearthError

KEEP_FINISHED = 50  # finished jobs kept for the UI to read; older ones are forgotten


class DocumentJobNotFound(HearthError):
    http_status = 404


@dataclass
class DocumentJob:
    id: str
    kind: str  # "add", "summarize" or "ask"
    title: str
    state: str = "running"  # "running", "done", "failed" or "cancelled"
    progress: dict | None = None  # {"stage", "step", "total", "text"}
    files: list[dict] = field(default_factory=list)  # add: {"path","name","status","message","doc_id"}
    text: str = ""  # what the model has written so far (summary or answer)
    result: dict | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self, stage: str, step: int, total: int, text: str) -> None:
        with self._lock:
            self.progress = {"stage": stage, "step": step, "total": total, "text": text}

    def append(self, piece: str) -> None:
        with self._lock:
            self.text += piece

    def file_status(self, index: int, status: str, message: str | None = None, doc_id: int | None = None) -> None:
        with self._lock:
            self.files[index].update(status=status, message=message, doc_id=doc_id)

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "id": self.id,
                "kind": self.kind,
                "title": self.title,
                "state": self.state,
                "progress": self.progress,
                "files": [dict(f) for f in self.files],
                "text": self.text,
                "result": self.result,
                "error": self.error,
                "started": self.started,
                "finished": self.finished,
            }


class DocumentJobs:
    def __init__(self):
        self._jobs: dict[str, DocumentJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, kind: str, title: str, work: Callable[[DocumentJob], dict | None], files=()) -> DocumentJob:
        """Runs work(job) on its own thread; what it returns becomes job.result."""
        with self._lock:
            job = DocumentJob(id=f"d{next(self._ids)}", kind=kind, title=title, files=list(files))
            self._jobs[job.id] = job
            self._forget_old()
        threading.Thread(target=self._run, args=(job, work), name=f"hearth-{job.id}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: DocumentJob, work) -> None:
        try:
            job.result = work(job)
            job.state = "cancelled" if job.cancel.is_set() else "done"
        except (AssistantCancelled, DocumentsCancelled):
            job.state = "cancelled"
        except HearthError as e:
            job.error, job.state = str(e), "failed"
        except Exception as e:  # a bug: the job still ends with a message instead of spinning forever
            traceback.print_exc()
            job.error, job.state = f"Hearth hit an internal error ({type(e).__name__}); please report it.", "failed"
        job.finished = time.time()

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.state != "running"), key=lambda j: j.started)
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]

    def get(self, job_id: str) -> DocumentJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise DocumentJobNotFound(f"There is no document job {job_id}; it may belong to an earlier launch.")
        return job

    def all(self) -> list[DocumentJob]:
        return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)
