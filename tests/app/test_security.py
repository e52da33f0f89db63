"""Only Hearth's own window (or a client holding the key) may use the local server."""

import httpx2 as httpx


def test_requests_without_the_key_or_from_elsewhere_are_refused(start_server):
    app = start_server()
    origin, secret = app.server.origin, app.server.access.secret
    bare = httpx.Client(base_url=origin)
    assert bare.get("/api/status").status_code == 403
    assert bare.get("/api/conversations", headers={"X-Hearth-Key": secret + "x"}).status_code == 403
    assert bare.post("/v1/chat/completions", json={"messages": []}).status_code == 403
    refused = bare.get("/api/status", headers={"X-Hearth-Key": secret, "Origin": "http://evil.example"})
    assert refused.status_code == 403 and "origin" in refused.json()["error"]
    wrong_host = bare.get("/api/status", headers={"X-Hearth-Key": secret, "Host": f"evil.example:{app.server.port}"})
    assert wrong_host.status_code == 403 and "host" in wrong_host.json()["error"]
    assert bare.get("/ui/index.html").status_code == 403


def test_the_key_in_the_url_becomes_an_httponly_cookie_that_works_alone(start_server):
    app = start_server()
    browser = httpx.Client(base_url=app.server.origin)
    first = browser.get(app.server.url())  # what the window opens: /ui/index.html?key=...
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    again = browser.get("/api/conversations", headers={"Origin": app.server.origin})
    assert again.status_code == 200 and again.json() == {"conversations": []}
    assert "default-src 'self'" in again.headers["content-security-policy"]


def test_openai_clients_send_the_key_as_a_bearer_token(start_server):
    app = start_server()
    client = httpx.Client(base_url=app.server.origin)
    assert client.get("/v1/models", headers={"Authorization": f"Bearer {app.server.access.secret}"}).status_code == 200
    assert client.get("/v1/models", headers={"Authorization": "Bearer nope"}).status_code == 403
