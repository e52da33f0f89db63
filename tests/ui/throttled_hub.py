"""tests/fake_hub.py's hub, slowed down: file bodies go out in small pieces with a pause between
them, so a browser polling a download every 300 ms sees its progress bar move (on 127.0.0.1 an
unthrottled tiny model arrives in one piece)."""

import threading
import time
from http.server import ThreadingHTTPServer

from tests.fake_hub import FakeHub, _Handler


class _ThrottledWriter:
    """Writes anything larger than `piece` bytes in pieces of `piece` with `pause` seconds between."""

    def __init__(self, raw, piece: int, pause: float):
        self.raw, self.piece, self.pause = raw, piece, pause

    def write(self, data) -> int:
        data = memoryview(data)
        if len(data) <= self.piece:
            return self.raw.write(data)
        for start in range(0, len(data), self.piece):
            self.raw.write(data[start : start + self.piece])
            self.raw.flush()
            time.sleep(self.pause)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class ThrottledHub(FakeHub):
    """A FakeHub that sends about `bytes_per_second` of file data, in `piece`-byte pieces."""

    def __init__(self, bytes_per_second: int, piece: int = 8192):
        super().__init__()
        self.piece, self.pause = piece, piece / bytes_per_second

    def __enter__(self) -> "ThrottledHub":
        hub = self

        class Handler(_Handler):
            def setup(self):
                super().setup()
                self.wfile = _ThrottledWriter(self.wfile, hub.piece, hub.pause)

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self
