"""Who may talk to the local server: the per-launch secret, the Host and the Origin (DESIGN.md §7)."""

import hmac
import secrets
from http.cookies import SimpleCookie

COOKIE = "hearth_key"
HEADER = "X-Hearth-Key"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class AccessPolicy:
    def __init__(self, port: int, secret: str | None = None):
        self.secret = secret or secrets.token_urlsafe(32)
        self.port = port
        self.allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}

    def _matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate.encode(), self.secret.encode())

    def key_from(self, headers, query: dict[str, list[str]]) -> str | None:
        if headers.get(HEADER):
            return headers[HEADER]
        if "key" in query:
            return query["key"][0]
        cookie = SimpleCookie(headers.get("Cookie", ""))
        return cookie[COOKIE].value if COOKIE in cookie else None

    def refusal(self, headers, query: dict[str, list[str]]) -> str | None:
        """Why a request must be refused, or None when it may proceed."""
        if headers.get("Host") not in self.allowed_hosts:
            return "wrong host"
        origin = headers.get("Origin")
        if origin is not None and origin not in self.allowed_origins:
            return "wrong origin"
        if not self._matches(self.key_from(headers, query)):
            return "missing or wrong key"
        return None

    def cookie_header(self) -> str:
        return f"{COOKIE}={self.secret}; HttpOnly; SameSite=Strict; Path=/"
