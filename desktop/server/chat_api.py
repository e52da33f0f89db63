"""POST /v1/chat/completions in OpenAI's shape (server-sent events with `stream: true`) on the native
host, POST /api/chat/cancel, and GET /v1/models (docs/api.md). `hearth serve` exposes the same routes.

A generation stops before its next token when the client closes the connection or a cancel
arrives for its `hearth.request_id`.
"""

import secrets
import select
import socket
import threading
import time

from desktop.errors import HearthError
from desktop.server.chat_engine import DEFAULT_CONTEXT, ChatEngine
from desktop.server.local_server import BadRequest, json_body
from engine.runner import Sampling


class _Cancels:
    """request_id → Event, for POST /api/chat/cancel."""

    def __init__(self):
        self.events: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def open(self, request_id: str) -> threading.Event:
        with self.lock:
            return self.events.setdefault(request_id, threading.Event())

    def close(self, request_id: str) -> None:
        with self.lock:
            self.events.pop(request_id, None)

    def cancel(self, request_id: str) -> bool:
        with self.lock:
            event = self.events.get(request_id)
        if event:
            event.set()
        return event is not None


def client_gone(request) -> bool:
    """True once the client has closed its end (a readable socket with nothing to read)."""
    try:
        readable, _, _ = select.select([request.connection], [], [], 0)
        return bool(readable) and request.connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _number(data: dict, name: str, default, kind=float):
    value = data.get(name)
    if value is None:
        return default
    try:
        return kind(value)
    except (TypeError, ValueError) as e:
        raise BadRequest(f"{name} must be a number.") from e


def _parse(data: dict) -> dict:
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("Send at least one message in messages.")
    for m in messages:
        if (
            not isinstance(m, dict)
            or m.get("role") not in ("system", "user", "assistant")
            or not isinstance(m.get("content"), str)
        ):
            raise BadRequest("Each message needs a role (system, user or assistant) and text content.")
    stop = data.get("stop")
    stops_ok = isinstance(stop, list) and all(isinstance(s, str) for s in stop)
    if not (stop is None or isinstance(stop, str) or stops_ok):
        raise BadRequest("stop must be a string or a list of strings.")
    extra = data.get("hearth") or {}
    if not isinstance(extra, dict):
        raise BadRequest("hearth must be a JSON object of Hearth's options.")
    seed = _number(data, "seed", None, int)
    return {
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "sampling": Sampling(
            temperature=_number(data, "temperature", 1.0),  # OpenAI's default, as the webview host
            top_p=_number(data, "top_p", 1.0),
            seed=seed & 0xFFFFFFFF if seed is not None else secrets.randbits(32),
        ),
        "max_tokens": max(1, _number(data, "max_tokens", 512, int)),
        "stop": [stop] if isinstance(stop, str) else list(stop or []),
        "context": _number(extra, "context_size", DEFAULT_CONTEXT, int),
        "request_id": str(extra.get("request_id") or secrets.token_hex(8)),
    }


def _chunk(base: dict, delta: dict, finish_reason=None, **extra) -> dict:
    return {
        **base,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }


def _completions(server, request, query, body):
    engine: ChatEngine = server.chat_engine
    data = json_body(body)
    params = _parse(data)
    cancelled = server.chat_cancels.open(params["request_id"])
    try:
        with engine.generation_lock:
            model_id = data.get("model") or engine.default_model()
            session = engine.session_for(model_id, params["context"])
            prompt, dropped = engine.prompt_for(session, params["messages"], params["max_tokens"])
            base = {"id": f"chatcmpl-{secrets.token_hex(12)}", "created": int(time.time()), "model": model_id}
            if data.get("stream"):
                _stream(request, session, prompt, dropped, params, base, cancelled)
                return None
            return 200, _whole(request, session, prompt, dropped, params, base, cancelled)
    finally:
        server.chat_cancels.close(params["request_id"])


def _run(session, prompt, params, cancelled, should_stop, on_piece):
    """Streams pieces to on_piece until done or stopped; returns (result, finish_reason)."""
    from engine.session import Result

    result = Result(prompt_tokens=len(prompt))
    pieces = session.stream(prompt, params["sampling"], params["max_tokens"], params["stop"], result)
    finish = None
    try:
        for piece in pieces:
            on_piece(piece)
            if cancelled.is_set() or should_stop():
                finish = "cancelled"
                break
    finally:
        pieces.close()  # leaves the session's KV cache consistent with the tokens fed so far
    return result, finish or result.finish_reason


def _usage(result, prompt) -> dict:
    completion = result.completion_tokens
    return {"prompt_tokens": len(prompt), "completion_tokens": completion, "total_tokens": len(prompt) + completion}


def _whole(request, session, prompt, dropped, params, base, cancelled) -> dict:
    pieces = []
    result, finish = _run(session, prompt, params, cancelled, lambda: client_gone(request), pieces.append)
    return {
        **base,
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "".join(pieces)}, "finish_reason": finish}
        ],
        "usage": _usage(result, prompt),
        "hearth": {"dropped_turns": dropped, **result.timings},
    }


def _stream(request, session, prompt, dropped, params, base, cancelled) -> None:
    request.start_events()
    request.send_event(
        _chunk(base, {"role": "assistant"}, hearth={"dropped_turns": dropped, "prompt_tokens": len(prompt)})
    )
    try:
        result, finish = _run(
            session,
            prompt,
            params,
            cancelled,
            lambda: client_gone(request),
            lambda piece: request.send_event(_chunk(base, {"content": piece})),
        )
    except HearthError as e:
        request.send_event({"error": {"message": str(e)}})
        request.send_event("[DONE]")
        return
    except (BrokenPipeError, ConnectionResetError):
        return  # the client left; the generator was closed by _run
    request.send_event(
        _chunk(base, {}, finish, usage=_usage(result, prompt), hearth={"dropped_turns": dropped, **result.timings})
    )
    request.send_event("[DONE]")


def _cancel(server, request, query, body):
    request_id = str(json_body(body).get("request_id") or "")
    return 200, {"cancelled": server.chat_cancels.cancel(request_id)}


def _models(server, request, query, body):
    data = [{"id": m["id"], "object": "model", "created": 0, "owned_by": "hearth"} for m in server.store.manifests()]
    return 200, {"object": "list", "data": data}


def register(server, session_factory=None) -> None:
    server.chat_engine = ChatEngine(server.store, session_factory)
    server.chat_cancels = _Cancels()
    server.unload_model = server.chat_engine.unload
    server.api_route("POST", "/v1/chat/completions", _completions)
    server.api_route("POST", "/api/chat/cancel", _cancel)
    server.api_route("GET", "/v1/models", _models)
