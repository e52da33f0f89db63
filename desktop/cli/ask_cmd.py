"""`hearth ask FILE... --question TEXT`: an answer from the files, with citations [n] → file, page, quote.

Without --question it asks interactively; follow-up questions keep the same documents in scope.
"""

import argparse
import json
import sys
from pathlib import Path

from desktop.assistant.ask import Asker, DocumentScope
from desktop.assistant.inputs import add_files, dense_index, model_and_library, session_model
from engine.runner import Sampling


def _write(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def _show_sources(answer) -> None:
    heading = "Sources:" if answer.cited else "Sources (the answer cites none; the best matches):"
    print(heading, file=sys.stderr)
    for c in answer.citations:
        where = ", ".join(
            [Path(c["file"]).name]
            + ([f"page {c['page']}"] if c["page"] else [])
            + ([c["section"]] if c["section"] else [])
        )
        print(f"  [{c['n']}] {where}: \u201c{c['quote']}\u201d", file=sys.stderr)


def ask_files(args) -> int:
    store, model_id, library = model_and_library(args.model, progress=not args.json)
    doc_ids = add_files(library, args.files)
    sampling = Sampling(temperature=args.temperature, repetition_penalty=args.repetition_penalty, seed=args.seed)
    model = session_model(store, model_id, args.context, sampling)
    # BM25 fused with embeddings; a document is embedded at its first question (progress on stderr)
    asker = Asker(model, library, DocumentScope(doc_ids), dense=dense_index(library), max_tokens=args.max_tokens)
    if args.question is not None:
        answer = asker.ask(args.question, on_text=None if args.json else _write)
        if args.json:
            print(json.dumps(answer.as_json(), indent=1, ensure_ascii=False))
        else:
            print()
            _show_sources(answer)
        return 0
    print(f"Asking {model_id} about {len(doc_ids)} document(s); an empty line or Ctrl-D ends.", file=sys.stderr)
    while True:
        try:
            question = input("? ")
        except EOFError:
            return 0
        if not question.strip():
            return 0
        answer = asker.ask(question, on_text=_write)
        print()
        _show_sources(answer)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ask", help="ask questions about documents; answers cite file, page and quote")
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF, Word, EPUB, HTML, Markdown or text files")
    p.add_argument("--question", help="the question (without it: ask interactively, with follow-ups)")
    p.add_argument("--model", help="model id (default: the built-in model)")
    p.add_argument("--max-tokens", type=int, default=256, help="length limit of the answer")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--repetition-penalty", type=float, default=1.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--context", type=int, help="KV cache size in tokens")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=ask_files)
