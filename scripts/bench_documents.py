"""Times the document pipeline on a generated 300-page PDF: extraction, chunking with the default
model's tokenizer, indexing into the library, and one search. Prints a table.

    .venv/bin/python scripts/bench_documents.py [--pages 300]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.documents.chunker import chunk_blocks  # noqa: E402
from desktop.documents.extract import extract  # noqa: E402
from desktop.documents.library import Library  # noqa: E402
from desktop.documents.retrieval import search  # noqa: E402
from desktop.documents.tokens import model_token_counter  # noqa: E402
from tests.documents.make_docs import FILLER, write_pdf  # noqa: E402


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    pages = parser.parse_args().pages
    home = Path(tempfile.mkdtemp(prefix="hearth-bench-docs-"))
    os.environ["HEARTH_HOME"] = str(home)
    content = [(f"Chapter {i}", [f"Ledger page {i} records the reading {i * 7919 % 100003}.", *[FILLER] * 7])
               for i in range(1, pages + 1)]
    path = write_pdf(home / "ledger.pdf", content)
    counter, tokenizer_seconds = timed(model_token_counter)
    extracted, extract_seconds = timed(lambda: extract(path))
    chunks, chunk_seconds = timed(lambda: chunk_blocks(extracted.blocks, counter.count))
    library = Library(token_counter=counter)
    outcome, add_seconds = timed(lambda: library.add(path))
    _, search_seconds = timed(lambda: search("which reading is on ledger page 137", library=library, k=3))
    rows = [
        ("pages / characters", f"{extracted.pages} / {sum(len(b.text) for b in extracted.blocks)}"),
        ("load the tokenizer (first run imports the default model)", f"{tokenizer_seconds:.2f} s"),
        ("extract (pypdf)", f"{extract_seconds:.2f} s"),
        ("chunk with the model's tokenizer", f"{chunk_seconds:.2f} s ({len(chunks)} chunks)"),
        ("library.add: extract + chunk + BM25 index + SQLite", f"{add_seconds:.2f} s"),
        ("one BM25 search", f"{search_seconds * 1000:.1f} ms"),
    ]
    print(f"| step ({outcome.document.chunk_count} chunks indexed) | time |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
