"""`hearth docs ...`: add files and folders to the document library, list them, remove them."""

import argparse
import json
import sys
from datetime import datetime

from desktop.documents.batch import Progress, add_paths
from desktop.documents.dense import DenseIndex
from desktop.documents.library import Library


def _print_json(value) -> None:
    print(json.dumps(value, indent=1, ensure_ascii=False))


def _show_progress(event: Progress) -> None:
    width = len(str(event.total))
    head = f"[{event.done:>{width}}/{event.total}] {event.path}"
    if event.status == "failed":
        print(f"{head}: failed: {event.message}", file=sys.stderr)
    else:
        note = f" ({event.message})" if event.message else ""
        print(f"{head}: {event.status}{note}", file=sys.stderr)


def add_docs(args) -> int:
    shown = set()

    def progress(event: Progress) -> None:
        shown.add(event.path)
        _show_progress(event)

    library = Library()
    report = add_paths(library, args.paths, on_progress=progress)
    for path, message in report.failures:
        if path not in shown:  # a path that does not exist never reaches the progress callback
            print(message, file=sys.stderr)
    embeddings = {"documents": 0, "unavailable": None}
    if report.outcomes and not args.no_embeddings:
        # embedded now rather than at the first question (seconds per passage on a CPU adapter)
        from desktop.assistant.inputs import dense_index

        dense = dense_index(library)
        embeddings["documents"] = dense.precompute(list(dict.fromkeys(o.document.id for o in report.outcomes)))
        embeddings["unavailable"] = dense.unavailable
    if args.json:
        _print_json(
            {
                "documents": [
                    dict(o.document.to_json(), status=o.status, notes=list(o.notes)) for o in report.outcomes
                ],
                "failed": [{"path": str(path), "error": message} for path, message in report.failures],
                "skipped": report.skipped,
                "embeddings": embeddings,
            }
        )
    changed = len(report.added)
    unchanged = len(report.outcomes) - changed
    summary = f"{changed} added or re-indexed, {unchanged} unchanged, {len(report.failures)} failed"
    if report.skipped:
        summary += f", {report.skipped} files in folders skipped (not documents)"
    print(summary + ".", file=sys.stderr)
    if not report.outcomes:
        if not report.failures:
            print(
                "No documents found in the given paths; add PDF, Word, EPUB, HTML, Markdown or text files.",
                file=sys.stderr,
            )
        return 1
    return 0


def _date(stamp: str) -> str:
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d")
    except ValueError:
        return stamp


def list_docs(args) -> int:
    documents = Library().documents()
    if args.json:
        _print_json([d.to_json() for d in documents])
        return 0
    if not documents:
        print("The library is empty; add documents with `hearth docs add PATH`.", file=sys.stderr)
        return 0
    header = ("ID", "NAME", "KIND", "PAGES", "CHUNKS", "ADDED", "PATH")
    table = [header] + [
        (str(d.id), d.name, d.kind, str(d.pages or "-"), str(d.chunk_count), _date(d.added), d.path) for d in documents
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def remove_doc(args) -> int:
    library = Library()
    info = library.remove(args.id)
    DenseIndex(library).prune()  # its cached vectors; no engine needed
    print(f"Removed document {info.id} ({info.name}) from the library; the file itself is untouched.", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    docs = subparsers.add_parser("docs", help="the document library: add, list and remove documents")
    sub = docs.add_subparsers(dest="docs_command", required=True)

    p = sub.add_parser("add", help="add files or folders (PDF, Word, EPUB, HTML, Markdown, text)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; folders are searched recursively")
    p.add_argument("--json", action="store_true", help="print one JSON document with what was added")
    p.add_argument(
        "--no-embeddings",
        action="store_true",
        help="skip embedding the passages now (they are embedded at the first question instead)",
    )
    p.set_defaults(handler=add_docs)

    p = sub.add_parser("list", help="documents in the library")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=list_docs)

    p = sub.add_parser("rm", help="remove a document from the library (the file stays)")
    p.add_argument("id", type=int, help="the document's id from `hearth docs list`")
    p.set_defaults(handler=remove_doc)
