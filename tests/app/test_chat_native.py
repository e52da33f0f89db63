"""The chat API on the real native host (wgpu, lavapipe here) with the built-in SmolLM2 model.
Short answers only: a software adapter decodes a few tokens a second."""

import json

from tests.app.conftest import copy_default_model


def test_the_built_in_model_streams_an_answer(start_server, default_model_home, hearth_home):
    copy_default_model(default_model_home, hearth_home)
    app = start_server()
    body = {
        "messages": [{"role": "user", "content": "Name three colors."}],
        "stream": True,
        "max_tokens": 5,
        "temperature": 0,
        "hearth": {"context_size": 256},
    }
    with app.client.stream("POST", "/v1/chat/completions", json=body, timeout=240) as response:
        assert response.status_code == 200
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all("error" not in c for c in chunks), chunks
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    last = chunks[-1]
    assert text.strip(), "the model streamed no text"
    assert last["choices"][0]["finish_reason"] in ("stop", "length")
    assert 1 <= last["usage"]["completion_tokens"] <= 5
    assert last["usage"]["prompt_tokens"] > 5 and last["hearth"]["decode_tokens_per_second"] >= 0
    status = app.client.get("/api/status").json()
    assert status["native"]["available"] is True and status["native"]["adapter"]["name"]
