"""The `hearth` command. Each command group lives in its own module with `register(subparsers)`.

A command handler returns an exit status; HearthError becomes one sentence on stderr and status 1,
bad usage one sentence and status 2 (desktop/cli/usage.py).
"""

import argparse
import importlib
import sys

from desktop.cli.usage import HearthParser
from desktop.errors import HearthError

COMMAND_MODULES = (
    "desktop.cli.models_cmd",
    "desktop.cli.chat_cmd",
    "desktop.cli.docs_cmd",
    "desktop.cli.serve_cmd",
    "desktop.cli.summarize_cmd",
    "desktop.cli.ask_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = HearthParser(prog="hearth", description="Offline assistant on your own GPU.")
    sub = parser.add_subparsers(dest="command")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue  # a command group not written yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None and args.command is None:
        from desktop.app import window_command as handler  # `hearth` alone opens the window
    if handler is None:
        parser.print_help()
        return 0
    try:
        return int(handler(args) or 0)
    except HearthError as e:
        print(str(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
