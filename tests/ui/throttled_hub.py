"""tests/fake_hub.py's hub, slowed down: file bodies go out in small pieces with a pause between
them, so a browser polling a download every 300 ms sees its progress bar move (on 127.0.0.1 an
unthrottled tiny model arrives in one piece). `hold_at` also stops every response at that many
body bytes until `released` is set, so a test can act mid-download however slow the machine is."""

import threading
import time
from http.server import ThreadingHTTPServer

from tests.fake_hub import FakeHub, _Handler

HOLD_SECONDS = 60


class _ThrottledWriter:
    """Writes anything larger than the hub's `piece` bytes in such pieces with its `pause` between,
    waiting at the hub's `hold_at` bytes of the body until the hub is released."""

    def __init__(self, raw, hub: "ThrottledHub"):
        self.raw, self.hub = raw, hub

    def write(self, data) -> int:
        data, hub = memoryview(data), self.hub
        if len(data) <= hub.piece:
            return self.raw.write(data)
        for start in range(0, len(data), hub.piece):
            if hub.hold_at is not None and start >= hub.hold_at:
                hub.released.wait(HOLD_SECONDS)
            self.raw.write(data[start : start + hub.piece])
            self.raw.flush()
            time.sleep(hub.pause)
        return len(data)

    def __getattr__(self, name):
        return getattr(self.raw, name)


class ThrottledHub(FakeHub):
    """A FakeHub that sends about `bytes_per_second` of file data, in `piece`-byte pieces."""

    def __init__(self, bytes_per_second: int, piece: int = 8192, hold_at: int | None = None):
        super().__init__()
        self.piece, self.pause = piece, piece / bytes_per_second
        self.hold_at = hold_at
        self.released = threading.Event()

    def __enter__(self) -> "ThrottledHub":
        hub = self

        class Handler(_Handler):
            def setup(self):
                super().setup()
                self.wfile = _ThrottledWriter(self.wfile, hub)

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self
