"""What every extractor returns: the document as an ordered list of blocks."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """One paragraph or heading. `page` is 1-based where the format has pages, else None.

    `section` is the heading path the block lives under, outermost first; a heading block's own
    section includes itself, so chunks that start at a heading carry it.
    """

    text: str
    page: int | None = None
    section: tuple[str, ...] = ()
    is_heading: bool = False


@dataclass
class Extracted:
    kind: str  # pdf, docx, epub, html, markdown, text
    blocks: list[Block]
    title: str | None = None
    pages: int | None = None
    notes: list[str] = field(default_factory=list)  # things the user should know, e.g. a misnamed file

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


class SectionTracker:
    """Keeps the heading path while an extractor walks headings of levels 1..6 in order."""

    def __init__(self):
        self.path: list[tuple[int, str]] = []

    def heading(self, level: int, title: str) -> tuple[str, ...]:
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, title))
        return self.section

    @property
    def section(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.path)


def paragraphs(text: str) -> list[str]:
    """Splits plain text on blank lines and folds the lines of each paragraph into one."""
    out = []
    for part in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        folded = " ".join(line.strip() for line in part.split("\n") if line.strip())
        if folded:
            out.append(folded)
    return out
