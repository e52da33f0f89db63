"""/api/conversations: the chat history's JSON API over desktop/conversations (docs/api.md)."""

from urllib.parse import quote, urlsplit

from desktop.conversations.export import export_filename, to_markdown
from desktop.conversations.store import ConversationNotFound, ConversationStore
from desktop.server.local_server import BadRequest, json_body

PREFIX = "/api/conversations"
CONVERSATION_FIELDS = ("title", "system_prompt", "model_id", "settings")


def _ids(request) -> list[str]:
    """The path parts after /api/conversations: [], [ID], [ID, "messages"], [ID, "messages", MID], ..."""
    return [p for p in urlsplit(request.path).path[len(PREFIX) :].split("/") if p]


def _number(text: str) -> int:
    if not text.isdigit():
        raise ConversationNotFound(f"'{text}' is not a conversation or message id; reload the list.")
    return int(text)


def _fields(body: bytes, allowed: tuple[str, ...]) -> dict:
    data = json_body(body)
    unknown = set(data) - set(allowed)
    if unknown:
        raise BadRequest(f"Unknown field(s) {', '.join(sorted(unknown))}; send only {', '.join(allowed)}.")
    return data


def _get(server, request, query, body):
    store: ConversationStore = server.conversations
    parts = _ids(request)
    if not parts:
        text = (query.get("q") or [""])[0]
        return 200, {"conversations": store.search(text) if text.strip() else store.all()}
    conversation = store.get(_number(parts[0]))
    if parts[1:] == ["export"]:
        name = export_filename(conversation["title"])
        disposition = (
            f"attachment; filename=\"{name.encode('ascii', 'replace').decode()}\"; filename*=UTF-8''{quote(name)}"
        )
        request.send_text(
            200, to_markdown(conversation), "text/markdown; charset=utf-8", {"Content-Disposition": disposition}
        )
        return None
    if parts[1:]:
        raise ConversationNotFound(f"Nothing at {request.path}; see docs/api.md.")
    return 200, conversation


def _post(server, request, query, body):
    store: ConversationStore = server.conversations
    parts = _ids(request)
    if not parts:
        return 201, store.create(**_fields(body, CONVERSATION_FIELDS))
    if parts[1:] == ["messages"]:
        data = _fields(body, ("role", "content", "meta"))
        return 201, store.add_message(_number(parts[0]), data.get("role"), data.get("content"), data.get("meta"))
    raise ConversationNotFound(f"Nothing to post to at {request.path}; see docs/api.md.")


def _patch(server, request, query, body):
    store: ConversationStore = server.conversations
    parts = _ids(request)
    if len(parts) == 1:
        return 200, store.update(_number(parts[0]), **_fields(body, CONVERSATION_FIELDS))
    if len(parts) == 3 and parts[1] == "messages":
        data = _fields(body, ("content", "meta"))
        return 200, store.edit_message(_number(parts[0]), _number(parts[2]), data.get("content"), data.get("meta"))
    raise ConversationNotFound(f"Nothing to change at {request.path}; see docs/api.md.")


def _delete(server, request, query, body):
    store: ConversationStore = server.conversations
    parts = _ids(request)
    if len(parts) == 1:
        store.delete(_number(parts[0]))
        return 200, {"deleted": int(parts[0])}
    if len(parts) == 3 and parts[1] == "messages":
        return 200, {"deleted": store.delete_from(_number(parts[0]), _number(parts[2]))}
    raise ConversationNotFound(f"Nothing to delete at {request.path}; see docs/api.md.")


def register(server) -> None:
    server.conversations = ConversationStore(server.store.root / "conversations.db")
    for method, handler in (("GET", _get), ("POST", _post), ("PATCH", _patch), ("DELETE", _delete)):
        server.api_route(method, PREFIX, handler)
