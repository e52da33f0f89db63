"""An in-memory stand-in for the local server's JSON API (docs/api.md), served through Playwright's
page.route, so unit-level UI tests run without the real conversations store or engine. The
end-to-end tests (test_chat_e2e.py) use the real server instead."""

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

MODEL = {
    "id": "fake-chat",
    "name": "Fake Chat 1M",
    "architecture": "llama",
    "quantization": "q4",
    "size_bytes": 12_345_678,
    "license": "apache-2.0",
    "source": "test",
    "context_length": 2048,
    "memory": {"context": 2048, "weights_bytes": 12_000_000, "kv_cache_bytes": 4_000_000, "total_bytes": 16_000_000},
}
CATALOG = [
    {
        "repo_id": "someone/tiny-chat-GGUF",
        "file": "tiny.gguf",
        "name": "Tiny Chat",
        "architecture": "llama",
        "parameters": "0.1B",
        "approx_size_bytes": 90_000_000,
        "license": "mit",
        "description": "A small test model.",
    }
]


class FakeApi:
    def __init__(self, first_run: bool = True):
        self.first_run = first_run
        self.conversations: dict[int, dict] = {}
        self.messages: dict[int, list[dict]] = {}
        self.next_id = 1
        self.requests: list[str] = []

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _conversation(self, fields: dict) -> dict:
        now = time.time()
        conv = {
            "id": self._id(),
            "title": fields.get("title") or "New chat",
            "system_prompt": fields.get("system_prompt"),
            "model_id": fields.get("model_id"),
            "settings": {},
            "created": now,
            "updated": now,
            "message_count": 0,
        }
        self.conversations[conv["id"]] = conv
        self.messages[conv["id"]] = []
        return conv

    def answer(self, method: str, path: str, query: dict, body: dict) -> tuple[int, object]:
        self.requests.append(f"{method} {path}")
        if path == "/api/status":
            return 200, {
                "version": "0.1.0",
                "first_run": self.first_run,
                "default_model": MODEL["id"],
                "setup": {"state": "ready", "job": None, "error": None},
                "native": {"available": True, "adapter": {"name": "Fake GPU"}, "reason": None},
            }
        if path == "/api/models":
            return 200, {"models": [MODEL], "default": MODEL["id"]}
        if path == "/api/catalog":
            return 200, {"models": [{**e, "installed": False} for e in CATALOG]}
        if path == "/api/jobs":
            return 200, {"jobs": []}
        if path == "/api/conversations" and method == "GET":
            text = (query.get("q") or [""])[0].lower()
            found = [
                c
                for c in self.conversations.values()
                if text in c["title"].lower() or any(text in m["content"].lower() for m in self.messages[c["id"]])
            ]
            return 200, {"conversations": sorted(found, key=lambda c: -c["updated"])}
        if path == "/api/conversations" and method == "POST":
            return 201, self._conversation(body)
        match = re.fullmatch(r"/api/conversations/(\d+)(/messages(?:/(\d+))?|/export)?", path)
        if not match or int(match[1]) not in self.conversations:
            return 404, {"error": f"Nothing at {path}."}
        conv_id, tail, message_id = int(match[1]), match[2], match[3]
        conv, messages = self.conversations[conv_id], self.messages[conv_id]
        conv["updated"] = time.time()
        if tail is None and method == "GET":
            return 200, {**conv, "messages": messages}
        if tail is None and method == "PATCH":
            conv.update({k: v for k, v in body.items() if k in ("title", "system_prompt", "model_id")})
            return 200, conv
        if tail is None and method == "DELETE":
            del self.conversations[conv_id]
            return 200, {"deleted": conv_id}
        if tail == "/export":
            return 200, "\n\n".join(f"**{m['role']}**: {m['content']}" for m in messages)
        if tail == "/messages" and method == "POST":
            message = {
                "id": self._id(),
                "role": body["role"],
                "content": body["content"],
                "created": time.time(),
                "meta": body.get("meta") or {},
            }
            messages.append(message)
            conv["message_count"] = len(messages)
            return 201, message
        if message_id and method == "DELETE":
            doomed = [m["id"] for m in messages if m["id"] >= int(message_id)]
            self.messages[conv_id] = [m for m in messages if m["id"] < int(message_id)]
            return 200, {"deleted": doomed}
        return 404, {"error": f"Nothing at {method} {path}."}

    def route(self, route) -> None:
        request = route.request
        url = urlsplit(request.url)
        body = json.loads(request.post_data or "{}") if request.method in ("POST", "PATCH") else {}
        status, payload = self.answer(request.method, url.path, parse_qs(url.query), body)
        if isinstance(payload, str):
            route.fulfill(status=status, body=payload, content_type="text/markdown")
        else:
            route.fulfill(status=status, body=json.dumps(payload), content_type="application/json")
