"""`hearth serve`: the local server without a window, for other apps (OpenAI-compatible API at /v1)."""

import argparse
import os
import sys
import threading


def serve(args) -> int:
    from desktop.server.hearth_server import build_server

    secret = args.key or os.environ.get("HEARTH_LAUNCH_KEY") or None
    server = build_server(port=args.port, secret=secret, api_only=True)
    try:
        print(f"Hearth API on {server.origin}/v1 (key: {server.access.secret})", flush=True)
        print("OpenAI clients: base_url as above, api_key = the key. Ctrl-C stops.", file=sys.stderr, flush=True)
        server.start()
        threading.Event().wait()
    finally:
        server.stop()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="run the local API server (OpenAI-compatible) without a window")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--key", help="the key clients must send (default: a new random one)")
    p.set_defaults(handler=serve)
