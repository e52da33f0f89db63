"""Markdown: ATX (#) and setext headings open sections; fenced code stays one block; the rest: paragraphs."""

import re
from pathlib import Path

from desktop.documents.blocks import Block, Extracted, SectionTracker
from desktop.documents.errors import DocumentError
from desktop.documents.extract_text import decode_text

ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_blocks(text: str) -> list[Block]:
    tracker = SectionTracker()
    blocks: list[Block] = []
    current: list[str] = []
    fence: str | None = None

    def flush():
        joined = "\n".join(current).strip() if fence else " ".join(s.strip() for s in current).strip()
        if joined:
            blocks.append(Block(joined, None, tracker.section))
        current.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        fence_match = FENCE.match(line)
        if fence:
            current.append(line)
            if fence_match and fence_match.group(1) == fence:
                flush()
                fence = None
            continue
        if fence_match:
            flush()
            fence = fence_match.group(1)
            current.append(line)
            continue
        heading = ATX.match(line)
        underline = SETEXT.match(line) if len(current) == 1 else None
        if heading or underline:
            if heading:
                flush()
                level, title = len(heading.group(1)), heading.group(2)
            else:
                level, title = (1 if underline.group(1)[0] == "=" else 2), current.pop().strip()
            if title:
                blocks.append(Block(title, None, tracker.heading(level, title), is_heading=True))
            continue
        if not line.strip():
            flush()
        else:
            current.append(line)
    flush()
    return blocks


def extract_markdown(path: Path) -> Extracted:
    text, _ = decode_text(path, path.read_bytes())
    blocks = markdown_blocks(text)
    if not blocks:
        raise DocumentError(f"{path.name} holds only white space; there is nothing to read.")
    title = next((b.text for b in blocks if b.is_heading), None)
    return Extracted("markdown", blocks, title=title)
