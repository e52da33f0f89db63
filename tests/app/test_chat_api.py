"""POST /v1/chat/completions over real HTTP with the scripted engine stand-in (tests/app/conftest.py)."""

import json
import threading
import time

import httpx2 as httpx
import pytest

from desktop.server.chat_engine import fit_messages
from tests.app.conftest import ScriptedSession, copy_default_model

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name three colors."}]


@pytest.fixture
def chat(start_server, default_model_home, hearth_home):
    copy_default_model(default_model_home, hearth_home)
    sessions: list[ScriptedSession] = []

    def factory(model, context):
        sessions.append(ScriptedSession(model, context, delay=0.05))
        return sessions[-1]

    app = start_server(session_factory=factory)
    app.sessions = sessions
    return app


def _events(response) -> list:
    return [json.loads(line[6:]) if line != "data: [DONE]" else "[DONE]" for line in response.iter_lines() if line]


def test_streamed_answer_in_openai_shape(chat):
    body = {"messages": MESSAGES, "stream": True, "max_tokens": 50}
    with chat.client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
    assert events[-1] == "[DONE]"
    first, *middle, last, _ = events
    assert first["choices"][0]["delta"] == {"role": "assistant"} and first["hearth"]["dropped_turns"] == 0
    text = "".join(e["choices"][0]["delta"]["content"] for e in middle)
    assert text == ScriptedSession.REPLY
    assert last["choices"][0]["finish_reason"] == "stop"
    assert last["usage"]["completion_tokens"] == len(ScriptedSession.REPLY.split())
    assert {e["id"] for e in events[:-1]} == {first["id"]} and first["object"] == "chat.completion.chunk"


def test_whole_answer_and_length_limit(chat):
    answer = chat.client.post("/v1/chat/completions", json={"messages": MESSAGES, "max_tokens": 3}).json()
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": "Red, green and"}
    assert answer["choices"][0]["finish_reason"] == "length" and answer["usage"]["completion_tokens"] == 3


def test_oldest_turns_leave_a_long_conversation_and_the_system_prompt_stays(chat):
    history = [{"role": "system", "content": "Be brief."}]
    for i in range(12):
        history += [
            {"role": "user", "content": f"question {i} " + "word " * 20},
            {"role": "assistant", "content": f"answer {i} " + "word " * 20},
        ]
    history.append({"role": "user", "content": "And now?"})
    body = {"messages": history, "max_tokens": 8, "hearth": {"context_size": 120}}
    answer = chat.client.post("/v1/chat/completions", json=body).json()
    dropped = answer["hearth"]["dropped_turns"]
    sent = chat.sessions[-1].prompts[-1]
    assert dropped > 0 and len(sent) == len(history) - dropped
    assert sent[0]["role"] == "system" and sent[1]["role"] == "user" and sent[-1]["content"] == "And now?"
    assert sum(len(m["content"].split()) + 2 for m in sent) + 8 <= 120


def test_fit_messages_keeps_the_last_message_even_when_it_alone_is_too_long():
    messages = [
        {"role": "user", "content": "a " * 50},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c " * 500},
    ]
    kept, dropped = fit_messages(messages, lambda ms: sum(len(m["content"]) for m in ms), 100, 10)
    assert kept == messages[-1:] and dropped == 2


def test_cancel_by_request_id_stops_before_the_next_token(chat):
    body = {"messages": MESSAGES, "stream": True, "hearth": {"request_id": "r1"}}
    with chat.client.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = response.iter_lines()
        events = []
        for line in lines:
            if line:
                events.append(line)
            if len(events) == 3:  # role + two words
                assert chat.client.post("/api/chat/cancel", json={"request_id": "r1"}).json() == {"cancelled": True}
                break
        events += [line for line in lines if line]
    last = json.loads(events[-2][6:])
    assert last["choices"][0]["finish_reason"] == "cancelled"
    assert last["usage"]["completion_tokens"] < len(ScriptedSession.REPLY.split())


def test_closing_the_connection_stops_generation(chat):
    with httpx.Client(base_url=chat.server.origin, headers=chat.client.headers, timeout=30) as client:
        body = {"messages": MESSAGES, "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=body) as response:
            next(line for line in response.iter_lines() if "content" in line)
    deadline = time.monotonic() + 5
    while not chat.sessions[-1].closed_early and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chat.sessions[-1].closed_early
    # the engine is free again for the next request
    answer = chat.client.post("/v1/chat/completions", json={"messages": MESSAGES, "max_tokens": 2}).json()
    assert answer["choices"][0]["message"]["content"] == "Red, green"


def test_two_requests_take_turns(chat):
    results = []

    def ask():
        answer = chat.client.post("/v1/chat/completions", json={"messages": MESSAGES, "max_tokens": 4}).json()
        results.append(answer["choices"][0]["message"]["content"])

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["Red, green and blue", "Red, green and blue"]


def test_bad_requests_get_one_sentence(chat):
    assert "message" in chat.client.post("/v1/chat/completions", json={"messages": []}).json()["error"]
    missing = chat.client.post("/v1/chat/completions", json={"model": "nope", "messages": MESSAGES})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
