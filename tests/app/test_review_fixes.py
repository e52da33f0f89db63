"""Fixes from a review of the local server's safety: each test drives the real server over HTTP."""

import socket
from urllib.parse import quote

import httpx2 as httpx
import pytest


def raw_request(app, head: str, body: bytes = b"", wait: float = 5.0) -> bytes:
    """Sends one hand-written request (headers a normal client refuses to send) and reads the answer."""
    secret, port = app.server.access.secret, app.server.port
    request = f"{head}\r\nHost: 127.0.0.1:{port}\r\nX-Hearth-Key: {secret}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(request.encode() + body)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            chunks.append(b"<timed out>")
    return b"".join(chunks)


def test_an_unsatisfiable_range_is_a_complete_416_with_the_security_headers(start_server):
    app = start_server()
    client = httpx.Client(base_url=app.server.origin, timeout=5, headers={"X-Hearth-Key": app.server.access.secret})
    size = len(client.get("/ui/index.html").content)
    refused = client.get("/ui/index.html", headers={"Range": f"bytes={size + 10}-"})
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{size}"
    assert refused.headers["content-length"] == "0"
    assert "default-src 'self'" in refused.headers["content-security-policy"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    # the connection stays usable: the next request on it is answered
    whole = client.get("/ui/index.html").content
    assert client.get("/ui/index.html", headers={"Range": "bytes=0-9"}).content == whole[:10]


@pytest.mark.parametrize("length", ["-1", "ten", "1e3", "\u00b2"])
def test_a_malformed_content_length_is_a_400_not_a_hang_or_a_dropped_connection(start_server, length):
    app = start_server()
    answer = raw_request(app, f"POST /api/conversations HTTP/1.1\r\nContent-Length: {length}", b'{"title": "x"}')
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"Content-Length" in answer


@pytest.mark.parametrize("body", [b'{"title": "x", "settings": {"t": NaN}}', b'{"max_tokens": 1e999}',
                                  b'{"title": "x", "settings": {"t": -Infinity}}'])
def test_json_with_non_finite_numbers_is_a_400(start_server, body):
    app = start_server()
    for path in ("/api/conversations", "/v1/chat/completions", "/api/engine/load"):
        answer = app.client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, (path, answer.text)
    assert app.client.get("/api/conversations").json() == {"conversations": []}


@pytest.mark.parametrize("extra", [{"seed": "abc"}, {"stop": 5}, {"hearth": 5}, {"hearth": {"context_size": "x"}}])
def test_chat_fields_of_the_wrong_type_are_a_400(start_server, extra):
    app = start_server()
    body = {"messages": [{"role": "user", "content": "hi"}], **extra}
    answer = app.client.post("/v1/chat/completions", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].endswith(".")


def test_model_ids_that_name_a_folder_outside_the_store_are_not_found(start_server, tmp_path):
    app = start_server()
    outside = tmp_path / "someone-elses-project"
    outside.mkdir()
    (outside / "manifest.json").write_text('{"files": {"notes.txt": {}}}')
    (outside / "notes.txt").write_text("private")
    for encoded in (quote(str(outside), safe=""), quote(f"../../{outside.name}", safe="")):
        assert app.client.get(f"/models/{encoded}/notes.txt").status_code == 404
        assert app.client.get(f"/api/models/{encoded}").status_code == 404
        assert app.client.delete(f"/api/models/{encoded}").status_code == 404
    assert (outside / "notes.txt").read_text() == "private"


def test_dot_segments_do_not_reach_the_ui_folders_node_modules(start_server):
    app = start_server()
    assert raw_request(app, "GET /vendor/marked/package.json HTTP/1.1").startswith(b"HTTP/1.1 200")
    for path in ("/ui/./node_modules/marked/package.json", "/ui/%2e/node_modules/marked/package.json"):
        assert raw_request(app, f"GET {path} HTTP/1.1").startswith(b"HTTP/1.1 404"), path


def test_options_is_checked_and_answered_with_the_security_headers(start_server):
    app = start_server()
    bare = httpx.Client(base_url=app.server.origin, timeout=5)
    refused = bare.options("/api/status")
    assert refused.status_code == 403
    answered = app.client.options("/api/status")
    assert answered.status_code in (404, 405) and "access-control-allow-origin" not in answered.headers
    for response in (refused, answered):
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
