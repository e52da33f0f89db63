"""Summaries of documents of any length.

If the whole text fits the model's context (counted with the model's tokenizer, leaving room for
the answer), one pass. Otherwise hierarchical map-reduce:
  map     every section (a run of chunks that fits one call) → notes, so every chunk is read;
  reduce  the notes between the first and the last section are merged, round after round, until
          they fit beside the first and last sections' notes;
  final   opening notes + merged middle + ending notes → the summary in the chosen style, streamed.
The opening and ending skip the reduce rounds on purpose: that is where documents state what they
are about and what they conclude, and a merge of merges is where such things get lost.
Progress is reported before each model call; a threading.Event cancels between calls and streamed
pieces.
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from desktop.assistant import prompts
from desktop.assistant.chat_model import ChatModel, TextSink, check_cancel
from desktop.assistant.errors import AssistantError
from desktop.assistant.sections import Section, SourceDocument, split_sections

STYLES = ("brief", "detailed", "bullets", "facts")
MAP_TOKENS = 200  # notes per section
REDUCE_TOKENS = 300  # merged notes
MARGIN = 8  # tokens of slack: counting a text alone and inside a prompt can differ at the seams


@dataclass(frozen=True)
class Progress:
    stage: str  # "read" (one pass), "map", "reduce" or "final"
    step: int  # 1-based within the stage
    total: int
    detail: str | None = None  # pages, document name

    def __str__(self) -> str:
        where = f" ({self.detail})" if self.detail else ""
        if self.stage == "map":
            return f"section {self.step} of {self.total}{where}"
        if self.stage == "reduce":
            return f"combining notes {self.step} of {self.total}"
        if self.stage == "read":
            return f"reading the whole text{where}"
        return "writing the summary"


@dataclass(frozen=True)
class Note:
    label: str  # which part of the text the notes cover, e.g. "sections 2-7"
    text: str
    first: int  # 1-based section numbers covered
    last: int


@dataclass
class Summary:
    text: str
    style: str
    method: str  # "single" or "map_reduce"
    sections: int  # sections read in the map step (1 for one pass)
    reduce_calls: int = 0
    documents: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "summary": self.text,
            "style": self.style,
            "method": self.method,
            "sections": self.sections,
            "reduce_calls": self.reduce_calls,
            "documents": self.documents,
        }


class Summarizer:
    def __init__(
        self,
        model: ChatModel,
        style: str = "brief",
        max_tokens: int = 400,
        language: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_text: TextSink | None = None,
        cancel: threading.Event | None = None,
        map_tokens: int = MAP_TOKENS,
        reduce_tokens: int = REDUCE_TOKENS,
    ):
        if style not in STYLES:
            raise AssistantError(f"There is no summary style '{style}'; choose one of {', '.join(STYLES)}.")
        self.model, self.style, self.max_tokens = model, style, max_tokens
        self.map_tokens, self.reduce_tokens = map_tokens, reduce_tokens
        self.on_progress, self.on_text, self.cancel = on_progress, on_text, cancel
        self.text = prompts.load("summarize")
        self.system = prompts.fill(self.text["system"], language=language or prompts.user_language())
        self.reduce_calls = 0
        self._bare_tokens = None  # a chat template's tokens around an empty message

    # ---- prompts ----
    def _messages(self, stage: str, **values) -> list[dict]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": prompts.fill(self.text[stage]["user"], **values)},
        ]

    def _style(self) -> str:
        return self.text["styles"][self.style]

    @staticmethod
    def _notes_block(notes: Sequence[Note]) -> str:
        return "\n\n".join(prompts.data_block("notes", n.text, part=n.label) for n in notes)

    def _fits(self, messages: list[dict], answer_tokens: int) -> bool:
        return self.model.count(messages) + answer_tokens + MARGIN <= self.model.context

    def _room(self, stage: str, answer_tokens: int, **values) -> int:
        """Tokens left for data in a `stage` prompt whose data placeholders are empty."""
        return self.model.context - self.model.count(self._messages(stage, **values)) - answer_tokens - MARGIN

    def _text_tokens(self, text: str) -> int:
        if self._bare_tokens is None:
            self._bare_tokens = self.model.count([{"role": "user", "content": ""}])
        return self.model.count([{"role": "user", "content": text}]) - self._bare_tokens

    def _call(self, messages: list[dict], max_tokens: int, progress: Progress, stream: bool = False) -> str:
        check_cancel(self.cancel)
        if self.on_progress is not None:
            self.on_progress(progress)
        return self.model.generate(messages, max_tokens, self.on_text if stream else None, self.cancel).strip()

    # ---- the steps ----
    def summarize(self, documents: Sequence[SourceDocument]) -> Summary:
        documents = [d for d in documents if d.text.strip()]
        if not documents:
            raise AssistantError("There is no text to summarize; add a document that has text.")
        names = [d.name for d in documents]
        title = _title(names)
        blocks = "\n\n".join(
            prompts.data_block("document", d.text, id=n, name=d.name) for n, d in enumerate(documents, 1)
        )
        single = self._messages("single", documents=blocks, style_instruction=self._style())
        # stored chunk sizes are a cheap first test: a 300-page book is not tokenized whole to learn it is long
        maybe_fits = sum(c.token_count for d in documents for c in d.chunks) < self.model.context
        if maybe_fits and self._fits(single, self.max_tokens):
            text = self._call(single, self.max_tokens, Progress("read", 1, 1), stream=True)
            return Summary(text, self.style, "single", 1, 0, names)
        notes = self._map(documents)
        text = self._final(notes, title)
        return Summary(text, self.style, "map_reduce", len(notes), self.reduce_calls, names)

    def _map(self, documents: Sequence[SourceDocument]) -> list[Note]:
        longest_name = max(documents, key=lambda d: len(d.name)).name
        widest_part = f"{longest_name}, pages 9999-9999"
        room = self._room(
            "map",
            self.map_tokens,
            documents=prompts.data_block("document", "", name=longest_name, part=widest_part),
            position=f"section 9999 of 9999 ({widest_part})",
            title=_title([longest_name]),
        )
        sections = split_sections(documents, self._text_tokens, room)
        notes = []
        several = len(documents) > 1
        for index, section in enumerate(sections, start=1):
            where = _where(section, several)
            position = f"section {index} of {len(sections)}" + (f" ({where})" if where else "")
            block = prompts.data_block("document", section.text, name=section.document.name, part=where)
            messages = self._messages("map", documents=block, position=position, title=_title([section.document.name]))
            text = self._call(messages, self.map_tokens, Progress("map", index, len(sections), where))
            label = f"section {index} of {len(sections)}" + (f", {where}" if where else "")
            notes.append(Note(label, text, index, index))
        return notes

    def _final_messages(self, notes: Sequence[Note], title: str) -> list[dict]:
        return self._messages("final", notes=self._notes_block(notes), title=title, style_instruction=self._style())

    def _final(self, notes: list[Note], title: str) -> str:
        if len(notes) == 1:
            ordered = notes
        else:
            first = Note("opening, " + notes[0].label, notes[0].text, notes[0].first, notes[0].last)
            last = Note("ending, " + notes[-1].label, notes[-1].text, notes[-1].first, notes[-1].last)
            middle = notes[1:-1]
            while not self._fits(self._final_messages([first, *middle, last], title), self.max_tokens):
                if len(middle) <= 1:
                    raise AssistantError(
                        "The model's context is too small to combine the notes on this text; "
                        "choose a model with a larger context or a shorter --max-tokens."
                    )
                middle = self._reduce_round(middle, title)
            ordered = [first, *middle, last]
        messages = self._final_messages(ordered, title)
        return self._call(messages, self.max_tokens, Progress("final", 1, 1), stream=True)

    def _reduce_round(self, middle: list[Note], title: str) -> list[Note]:
        """Merges runs of neighbouring notes, each run as large as one reduce call holds."""
        probe = Note("sections 9999-9999", "", 0, 0)
        room = self._room("reduce", self.reduce_tokens, notes=self._notes_block([probe]), title=title)
        runs: list[list[Note]] = []
        used = 0
        for note in middle:
            tokens = self._text_tokens(self._notes_block([note]))
            if runs and used + tokens <= room:
                runs[-1].append(note)
                used += tokens
            else:
                runs.append([note])
                used = tokens
        if all(len(run) == 1 for run in runs):
            raise AssistantError(
                "The model's context is too small to merge notes on this text; choose a model with a larger context."
            )
        calls = sum(1 for run in runs if len(run) > 1)
        merged, step = [], 0
        for run in runs:
            if len(run) == 1:
                merged.append(run[0])
                continue
            step += 1
            label = f"sections {run[0].first}-{run[-1].last}"
            messages = self._messages("reduce", notes=self._notes_block(run), title=title)
            text = self._call(messages, self.reduce_tokens, Progress("reduce", step, calls, label))
            self.reduce_calls += 1
            merged.append(Note(label, text, run[0].first, run[-1].last))
        return merged


def _title(names: Sequence[str]) -> str:
    if len(names) == 1:
        return f'the document "{names[0]}"'
    return f"{len(names)} documents ({', '.join(names)})"


def _where(section: Section, with_name: bool) -> str | None:
    parts = ([section.document.name] if with_name else []) + ([section.pages()] if section.pages() else [])
    return ", ".join(parts) or None


def summarize(model: ChatModel, documents: Sequence[SourceDocument], **options) -> Summary:
    """One summary of `documents`; options are Summarizer's (style, max_tokens, on_progress, ...)."""
    return Summarizer(model, **options).summarize(documents)
