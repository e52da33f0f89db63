"""Hearth's server with every API registered: what the window (desktop/app.py) and `hearth serve` run."""

from desktop.server import (
    app_api,
    chat_api,
    conversations_api,
    documents_api,
    engine_api,
    engine_load_api,
    models_api,
    status_api,
)
from desktop.server.jobs import Jobs
from desktop.server.local_server import LocalServer
from desktop.store.model_store import ModelStore


def build_server(
    store: ModelStore | None = None,
    port: int = 0,
    secret: str | None = None,
    session_factory=None,
    first_run_import: bool = True,
    api_only: bool = False,
    bridge=None,
) -> LocalServer:
    """A LocalServer (not yet started) with the status, conversations, models, jobs, chat and engine APIs.
    `session_factory` replaces the native engine's Session (tests); `first_run_import` imports the built-in
    model in the background when the store is empty; `bridge` (desktop.app.Bridge) serves /api/app/*."""
    server = LocalServer(store=store, port=port, secret=secret)
    server.jobs = Jobs()
    server.api_only = api_only
    engine_api.register(server)
    conversations_api.register(server)
    models_api.register(server)
    chat_api.register(server, session_factory)
    engine_load_api.register(server)  # after chat: it loads the chat engine's session
    documents_api.register(server)  # after chat: documents run on the chat engine's session
    status_api.register(server, setup=first_run_import)
    if bridge is not None:
        app_api.register(server, bridge)
    return server
