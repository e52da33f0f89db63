"""A pull's progress as the app's job reports it: the total of every file is known before the first byte,
so the bar over a multi-file safetensors repo only fills (it used to fill on the small files, then drop
when the weights began)."""

import pytest

from desktop.importers.hf_hub import pull
from desktop.server.jobs import Job
from desktop.store.model_store import ModelStore
from tests.fake_hub import FakeHub
from tests.tiny_hf_models import write_model

REPO = "org/Tiny-Llama"


class RecordingJob(Job):
    """The app's pull job, with its state (as GET /api/jobs/ID shows it) kept after every report."""

    def record(self) -> None:
        self.states = [*getattr(self, "states", []), self.as_dict()]

    def progress(self, file, done, total):
        super().progress(file, done, total)
        self.record()

    def expect(self, sizes):
        super().expect(sizes)
        self.record()


@pytest.fixture
def hub(monkeypatch):
    with FakeHub() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield fake


def test_a_safetensors_pull_reports_its_whole_size_first_and_its_bar_only_fills(hub, tmp_path):
    folder = tmp_path / "Tiny-Llama"
    write_model(folder, "llama", "float16", max_shard_size="40KB")
    (folder / "README.md").write_text("# Tiny\n")
    # a Mistral-style duplicate of the weights that the shard index leaves out: planned, then dropped
    repo = hub.add_repo(REPO, folder, files={"consolidated.safetensors": b"\0" * 50_000})
    shards = sorted(name for name in repo.files if name.startswith("model-") and name.endswith(".safetensors"))
    assert len(shards) > 1
    job = RecordingJob(id="j1", kind="pull", title=REPO)

    pull(ModelStore(tmp_path / "home"), REPO, progress=False, on_progress=job.progress, on_plan=job.expect)

    states = job.states
    first = states[0]
    assert first["bytes_done"] == 0 and first["bytes_total"] >= sum(len(repo.files[s]) for s in shards)
    fetched = sum(len(repo.files[name]) for name in hub.downloaded())
    assert "consolidated.safetensors" not in hub.downloaded()
    fractions = [s["bytes_done"] / s["bytes_total"] for s in states]
    assert all(later >= earlier for earlier, later in zip(fractions, fractions[1:], strict=False)), fractions
    totals = [s["bytes_total"] for s in states]
    assert all(later <= earlier for earlier, later in zip(totals, totals[1:], strict=False))
    assert totals[-1] == fetched and states[-1]["bytes_done"] == fetched
    # the small files come first and are a sliver of the bytes; the job is not "importing" after them
    small_done = states[next(i for i, s in enumerate(states) if s["file"] == shards[0]) - 1]
    assert small_done["bytes_done"] / small_done["bytes_total"] < 0.5
    assert all(s["phase"] == "download" for s in states if s["bytes_done"] < s["bytes_total"])
