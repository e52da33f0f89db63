"""Questions about documents, answered from numbered sources with citations.

question → retrieval (BM25, fused with a dense ranking when one is given) over the conversation's
documents → sources [1], [2], ... → a grounded prompt → the answer → its [n] markers → citations.
When every chunk of the documents fits the context next to the question and the answer, the model
sees the whole text ("use the whole document"); otherwise the best-ranked chunks that fit.
Sources are numbered by relevance in both cases, so [1] is the best match.
A DocumentScope belongs to a conversation: follow-up questions keep its documents, and the last
question joins the retrieval query so "and where was it made?" still finds its subject.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop.assistant import prompts
from desktop.assistant.chat_model import ChatModel, TextSink, check_cancel
from desktop.assistant.cite import citations_for
from desktop.assistant.errors import AssistantError
from desktop.documents.retrieval import DenseScorer, Retriever

MARGIN = 8
TOP_K = 8
HISTORY_TURNS = 2


@dataclass
class DocumentScope:
    """The documents a conversation is about, and its earlier questions and answers."""

    doc_ids: list[int]
    turns: list[tuple[str, str]] = field(default_factory=list)

    def retrieval_query(self, question: str) -> str:
        return f"{self.turns[-1][0]} {question}" if self.turns else question

    def remember(self, question: str, answer: str) -> None:
        self.turns.append((question, answer))


@dataclass
class Answer:
    text: str
    citations: list[dict]
    cited: bool  # False: the model cited nothing and `citations` are the top sources
    mode: str  # "whole_document" or "retrieved"
    sources: list = field(default_factory=list)  # the chunks shown to the model, source [n] at n - 1

    def as_json(self) -> dict:
        return {"answer": self.text, "citations": self.citations, "cited": self.cited, "mode": self.mode}


def sources_block(chunks: Sequence) -> str:
    return "\n\n".join(
        prompts.data_block(
            "document",
            chunk.text,
            n=n,
            file=chunk.name,
            page=chunk.page,
            section=" > ".join(chunk.section) or None,
        )
        for n, chunk in enumerate(chunks, start=1)
    )


class Asker:
    def __init__(
        self,
        model: ChatModel,
        library,
        scope: DocumentScope,
        dense: DenseScorer | None = None,
        max_tokens: int = 256,
        top_k: int = TOP_K,
    ):
        self.model, self.library, self.scope = model, library, scope
        self.retriever = Retriever(library, dense)
        self.max_tokens, self.top_k = max_tokens, top_k
        self.text = prompts.load("ask")

    def messages(self, chunks: Sequence, question: str, history: Sequence[tuple[str, str]]) -> list[dict]:
        messages = [{"role": "system", "content": self.text["system"]}]
        for old_question, old_answer in history:
            messages += [{"role": "user", "content": old_question}, {"role": "assistant", "content": old_answer}]
        user = prompts.fill(self.text["user"], sources=sources_block(chunks), question=question)
        return messages + [{"role": "user", "content": user}]

    def _fits(self, messages: list[dict]) -> bool:
        return self.model.count(messages) + self.max_tokens + MARGIN <= self.model.context

    def choose_sources(self, question: str) -> tuple[list, list[dict], str]:
        """(source chunks, prompt messages, mode) for `question`."""
        hits = self.retriever.search(self.scope.retrieval_query(question), self.scope.doc_ids, self.top_k)
        ranked = [hit.chunk for hit in hits]
        everything = [chunk for doc_id in self.scope.doc_ids for chunk in self.library.chunks(doc_id)]
        if not everything:
            raise AssistantError("The documents in this conversation have no text; add a document that has text.")
        ranked_ids = {chunk.id for chunk in ranked}
        whole = ranked + [chunk for chunk in everything if chunk.id not in ranked_ids]
        recent = self.scope.turns[-HISTORY_TURNS:]
        histories = [recent, []] if recent else [[]]
        # chunks' stored token counts are a cheap first test: a 300-page book is not tokenized per question
        if sum(chunk.token_count for chunk in whole) < self.model.context:
            for history in histories:
                messages = self.messages(whole, question, history)
                if self._fits(messages):
                    return whole, messages, "whole_document"
        candidates = ranked or everything[: self.top_k]  # no word in common: show the documents' openings
        for history in histories:
            chosen = list(candidates)
            while chosen:
                messages = self.messages(chosen, question, history)
                if self._fits(messages):
                    return chosen, messages, "retrieved"
                chosen.pop()
        raise AssistantError(
            "The question and one passage do not fit the model's context; "
            "ask a shorter question, lower --max-tokens or choose a model with a larger context."
        )

    def ask(self, question: str, on_text: TextSink | None = None, cancel: threading.Event | None = None) -> Answer:
        question = question.strip()
        if not question:
            raise AssistantError("The question is empty; type a question about the documents.")
        check_cancel(cancel)
        chunks, messages, mode = self.choose_sources(question)
        text = self.model.generate(messages, self.max_tokens, on_text, cancel).strip()
        citations, cited = citations_for(text, chunks, question)
        self.scope.remember(question, text)
        return Answer(text, citations, cited, mode, chunks)
