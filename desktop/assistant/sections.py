"""Documents as the assistant reads them, and their split into sections that fit one model call.

A section is a run of consecutive chunks of one document, sliced from the document's text by the
chunks' character offsets (so the chunker's overlap is not read twice), sized by the model's own
token count. Every chunk lands in exactly one section, in order.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from desktop.assistant.errors import AssistantError


@dataclass(frozen=True)
class SourceDocument:
    doc_id: int | None
    file: str  # the path the user added
    name: str
    text: str  # the whole extracted text; chunk.text == text[chunk.char_start:chunk.char_end]
    chunks: Sequence  # StoredChunk-like: text, page, section, char_start, char_end, token_count


@dataclass(frozen=True)
class Section:
    document: SourceDocument
    text: str
    chunk_ordinals: tuple[int, ...]  # positions in document.chunks
    first_page: int | None
    last_page: int | None

    def pages(self) -> str | None:
        if self.first_page is None:
            return None
        if self.first_page == self.last_page:
            return f"page {self.first_page}"
        return f"pages {self.first_page}-{self.last_page}"


def load_documents(library, doc_ids: Sequence[int]) -> list[SourceDocument]:
    """The library's documents with their chunks, in the order given."""
    documents = []
    for doc_id in doc_ids:
        info = library.document(doc_id)
        documents.append(SourceDocument(doc_id, info.path, info.name, library.text(doc_id), library.chunks(doc_id)))
    return documents


def _section(document: SourceDocument, ordinals: list[int]) -> Section:
    chunks = [document.chunks[i] for i in ordinals]
    pages = [c.page for c in chunks if c.page is not None]
    text = document.text[chunks[0].char_start : chunks[-1].char_end]
    return Section(document, text, tuple(ordinals), min(pages, default=None), max(pages, default=None))


def split_sections(
    documents: Sequence[SourceDocument], count_tokens: Callable[[str], int], budget: int
) -> list[Section]:
    """Greedy runs of chunks whose token counts sum to at most `budget` (the sum over-counts the
    overlap between neighbours, so a section's real size is never above it). A section never spans
    two documents, so each one's notes can name their document."""
    sections = []
    for document in documents:
        run: list[int] = []
        used = 0
        for ordinal, chunk in enumerate(document.chunks):
            tokens = count_tokens(chunk.text)
            if tokens > budget:
                raise AssistantError(
                    f"A passage of {document.name} needs {tokens} tokens but the model has room for {budget}; "
                    "choose a model with a larger context."
                )
            if run and used + tokens > budget:
                sections.append(_section(document, run))
                run, used = [], 0
            run.append(ordinal)
            used += tokens
        if run:
            sections.append(_section(document, run))
    return sections
