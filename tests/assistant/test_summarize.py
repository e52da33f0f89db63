"""Summaries with a scripted model: one pass when the text fits, otherwise map-reduce in which every
chunk is read, progress comes in order, the opening and ending reach the final step, and cancel stops
it. The script's reduce step is deliberately lossy (it keeps only the first marker it is given), so
the ending can only reach the final step if the design carries it there."""

import re
import threading

import pytest

from desktop.assistant import prompts
from desktop.assistant.errors import AssistantError, Cancelled
from desktop.assistant.sections import load_documents
from desktop.assistant.summarize import Summarizer
from desktop.documents.library import Library
from desktop.documents.tokens import approximate_counter
from tests.assistant.fake_model import FakeModel

MARK = re.compile(r"\bM\d{3}\b")
PARTS = 80
LAST = f"M{PARTS:03d}"
FILLER = "The council discussed budgets, the schedule of meetings and repairs to the old harbour wall."


def write_parts(path, parts: int):
    body = "\n\n".join(f"## Part {k}\n\nM{k:03d} marks part {k}. {FILLER}" for k in range(1, parts + 1))
    path.write_text(f"# Minutes\n\n{body}\n", encoding="utf-8")
    return path


def script(call) -> str:
    found = MARK.findall(call.user)
    if "This is section" in call.user:
        return "notes " + " ".join(found) + " and more details" * 20  # notes use their whole budget
    if "Merge them" in call.user:
        return "merged " + " ".join(found[:1])
    return "summary of " + " ".join(dict.fromkeys(found))


@pytest.fixture
def long_doc(tmp_path):
    library = Library(token_counter=approximate_counter(), max_tokens=64, overlap_tokens=8)
    doc_id = library.add(write_parts(tmp_path / "minutes.md", PARTS)).document.id
    documents = load_documents(library, [doc_id])
    markers = MARK.findall(documents[0].text)
    assert len(markers) == PARTS and len(documents[0].chunks) >= PARTS  # one part per chunk at least
    return documents


def summarizer(model, **options):
    options = {"map_tokens": 30, "reduce_tokens": 30, "max_tokens": 40, "language": "English", **options}
    return Summarizer(model, **options)


def test_short_text_is_one_streamed_pass(tmp_path):
    library = Library(token_counter=approximate_counter())
    doc_id = library.add(write_parts(tmp_path / "short.md", 3)).document.id
    model = FakeModel(script)
    streamed, progress = [], []
    summary = summarizer(model, on_text=streamed.append, on_progress=progress.append).summarize(
        load_documents(library, [doc_id])
    )
    assert summary.method == "single" and len(model.calls) == 1
    assert all(f"M00{k}" in model.calls[0].user for k in (1, 2, 3))
    assert "".join(streamed) == summary.text == "summary of M001 M002 M003"
    assert [p.stage for p in progress] == ["read"]


def test_map_reduce_reads_every_chunk_in_order_and_keeps_opening_and_ending(long_doc):
    model = FakeModel(script, context=400)
    progress, streamed = [], []

    def on_progress(event):
        progress.append(event)
        model.events.append(("progress", event.stage, event.step))

    summary = summarizer(model, on_progress=on_progress, on_text=streamed.append).summarize(long_doc)
    assert summary.method == "map_reduce" and summary.reduce_calls >= 1  # the text needed merging rounds
    map_calls = [c for c in model.calls if "This is section" in c.user]
    assert len(map_calls) == summary.sections > 1
    read = [m for c in map_calls for m in MARK.findall(c.user)]
    assert sorted(set(read)) == [f"M{k:03d}" for k in range(1, PARTS + 1)]  # every chunk is read
    assert read == sorted(read)  # in reading order
    # progress: map steps 1..N, then reduce steps, then the final step; each announced before its call
    stages = [p.stage for p in progress]
    assert stages == ["map"] * summary.sections + ["reduce"] * summary.reduce_calls + ["final"]
    assert [p.step for p in progress[: summary.sections]] == list(range(1, summary.sections + 1))
    assert all(p.total == summary.sections for p in progress[: summary.sections])
    assert str(progress[3]).startswith(f"section 4 of {summary.sections}")
    kinds = [e[0] for e in model.events]
    assert kinds == ["progress", "call"] * len(model.calls)
    # the final step sees the first and the last sections' notes, and only it streams
    final = model.calls[-1]
    assert final.streamed and not any(c.streamed for c in model.calls[:-1])
    first_section, last_section = MARK.findall(map_calls[0].user), MARK.findall(map_calls[-1].user)
    assert "M001" in first_section and LAST in last_section
    assert set(first_section) | set(last_section) <= set(MARK.findall(final.user))
    assert "opening" in final.user and "ending" in final.user
    assert "".join(streamed) == summary.text and LAST in summary.text


def test_cancel_during_map_stops_before_the_next_call(long_doc):
    model = FakeModel(script, context=400)
    cancel = threading.Event()

    def on_progress(event):
        if event.stage == "map" and event.step == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        summarizer(model, on_progress=on_progress, cancel=cancel).summarize(long_doc)
    assert len(model.calls) == 2


def test_cancel_while_the_summary_streams(long_doc):
    model = FakeModel(lambda call: "one two three four five six", context=4000)
    cancel = threading.Event()
    streamed = []

    def on_text(piece):
        streamed.append(piece)
        if len(streamed) == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        summarizer(model, on_text=on_text, cancel=cancel).summarize(long_doc)
    assert len(streamed) == 2


def test_styles_and_language_reach_the_prompt(tmp_path):
    library = Library(token_counter=approximate_counter())
    documents = load_documents(library, [library.add(write_parts(tmp_path / "s.md", 2)).document.id])
    styles = prompts.load("summarize")["styles"]
    for style in ("brief", "detailed", "bullets", "facts"):
        model = FakeModel(script)
        summarizer(model, style=style, language=None).summarize(documents)
        assert styles[style] in model.calls[0].user
    model = FakeModel(script)
    Summarizer(model, language="French").summarize(documents)
    assert "Write in French." in model.calls[0].system
    with pytest.raises(AssistantError, match="style"):
        Summarizer(model, style="poem")


def test_user_language_from_the_locale():
    assert prompts.user_language({"LANG": "de_DE.UTF-8"}) == "German"
    assert prompts.user_language({"LANGUAGE": "pt_BR:en", "LANG": "en_US.UTF-8"}) == "Portuguese"
    assert prompts.user_language({"LANG": "C.UTF-8"}) == "English"
    assert prompts.user_language({}) == "English"


def test_a_context_too_small_for_one_passage_says_so(long_doc):
    with pytest.raises(AssistantError, match="larger context"):
        summarizer(FakeModel(script, context=150)).summarize(long_doc)
