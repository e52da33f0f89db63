"""`hearth summarize FILE...`: add the files to the library and summarize them, streaming the summary."""

import argparse
import json
import sys

from desktop.assistant.inputs import ProgressLine, add_files, model_and_library, session_model
from desktop.assistant.sections import load_documents
from desktop.assistant.summarize import STYLES, Summarizer
from engine.runner import Sampling


def _write(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def summarize_files(args) -> int:
    store, model_id, library = model_and_library(args.model, progress=not args.json)
    doc_ids = add_files(library, args.files)
    sampling = Sampling(temperature=args.temperature, repetition_penalty=args.repetition_penalty, seed=args.seed)
    model = session_model(store, model_id, args.context, sampling)
    line = ProgressLine(sys.stderr)
    started = False

    def stream(piece: str) -> None:
        nonlocal started
        if not started:
            line.done()  # the summary starts: clear the progress line it would run into
            started = True
        _write(piece)

    summarizer = Summarizer(
        model,
        style=args.style,
        max_tokens=args.max_tokens,
        language=args.language,
        on_progress=line.show,
        on_text=None if args.json else stream,
    )
    summary = summarizer.summarize(load_documents(library, doc_ids))
    line.done()
    if args.json:
        print(json.dumps(summary.as_json(), indent=1, ensure_ascii=False))
    else:
        print()
        how = "one pass" if summary.method == "single" else f"{summary.sections} sections"
        print(f"[{summary.style} summary of {', '.join(summary.documents)}, {how}]", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("summarize", help="summarize documents (long ones section by section)")
    p.add_argument("files", nargs="+", metavar="FILE", help="PDF, Word, EPUB, HTML, Markdown or text files")
    p.add_argument("--model", help="model id (default: the built-in model)")
    p.add_argument("--style", choices=STYLES, default="brief")
    p.add_argument("--language", help="the summary's language (default: from the locale, else English)")
    p.add_argument("--max-tokens", type=int, default=400, help="length limit of the summary")
    p.add_argument("--temperature", type=float, default=0.0)
    p.add_argument("--repetition-penalty", type=float, default=1.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--context", type=int, help="KV cache size in tokens")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=summarize_files)
