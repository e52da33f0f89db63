"""Real servers on 127.0.0.1 for the app tests, real HTTP clients, and a scripted engine stand-in."""

import shutil
import time

import httpx2 as httpx
import pytest

from desktop.importers.default_model import DEFAULT_MODEL_ID, ensure_model
from desktop.server.hearth_server import build_server
from desktop.store.model_store import ModelStore


class ScriptedRunner:
    def __init__(self, context: int):
        self.context = context


class ScriptedSession:
    """Stands in for engine.session.Session in unit tests: one token per word, a scripted reply
    streamed word by word with a small delay, and a record of what it was asked."""

    REPLY = "Red, green and blue are three colors ."

    def __init__(self, model, context: int, delay: float = 0.01):
        self.model_id = model.manifest["id"]
        self.runner = ScriptedRunner(context)
        self.delay = delay
        self.prompts: list[list[dict]] = []
        self.closed_early = False

    def chat_tokens(self, messages: list[dict]) -> list[int]:
        self.last_messages = messages
        words = sum(len(m["content"].split()) + 2 for m in messages)
        return list(range(words))

    def stream(self, prompt, sampling, max_tokens, stop, result):
        self.prompts.append(self.last_messages)
        words = self.REPLY.split()
        sent = 0
        try:
            for word in words[:max_tokens]:
                time.sleep(self.delay)
                sent += 1
                yield ("" if sent == 1 else " ") + word
            result.finish_reason = "stop" if max_tokens >= len(words) else "length"
        except GeneratorExit:
            self.closed_early = True
            raise
        finally:
            result.completion_tokens = sent
            result.timings = {"load_seconds": 0.0, "prefill_tokens_per_second": 1.0, "decode_tokens_per_second": 1.0}


@pytest.fixture(scope="session")
def default_model_home(tmp_path_factory):
    """A store holding the built-in model, imported once per test session (10 s)."""
    home = tmp_path_factory.mktemp("default-home")
    ensure_model(ModelStore(home), DEFAULT_MODEL_ID, progress=False)
    return home


def copy_default_model(source_home, home) -> None:
    """The built-in model in `home`, sharing compiled plans with the other tests (compiling is slow)."""
    ModelStore(home)
    target = home / "models" / DEFAULT_MODEL_ID
    shutil.copytree(source_home / "models" / DEFAULT_MODEL_ID, target, ignore=shutil.ignore_patterns("plans"))
    shared_plans = source_home / "models" / DEFAULT_MODEL_ID / "plans"
    shared_plans.mkdir(exist_ok=True)
    (target / "plans").symlink_to(shared_plans, target_is_directory=True)


class Running:
    """A started server and a client that sends its key."""

    def __init__(self, home, **options):
        self.home = home
        self.server = build_server(store=ModelStore(home), **options).start()
        self.client = httpx.Client(
            base_url=self.server.origin, timeout=60, headers={"X-Hearth-Key": self.server.access.secret}
        )

    def stop(self) -> None:
        self.client.close()
        self.server.stop()


@pytest.fixture
def start_server(hearth_home):
    """start_server(**build_server options) → Running; every server is stopped after the test."""
    running: list[Running] = []

    def start(home=None, **options) -> Running:
        options.setdefault("first_run_import", False)
        running.append(Running(home or hearth_home, **options))
        return running[-1]

    yield start
    for r in running:
        r.stop()
