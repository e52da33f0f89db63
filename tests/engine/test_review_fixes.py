"""Regression tests for bugs found reviewing the generation path (engine/session.py, engine/text.py).

They use a byte-level tokenizer built in memory and a scripted host under the real ModelRunner,
so they run in well under a second without a GPU."""

from collections import deque

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from engine.runner import ModelRunner, Sampling
from engine.session import Result, Session
from engine.text import StreamDecoder


def byte_tokenizer(extra: list[str] = ()) -> Tokenizer:
    """One token per byte (ByteLevel alphabet), plus `extra` tokens spelled in that alphabet."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {c: i for i, c in enumerate(alphabet + list(extra))}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def byte_ids(tokenizer: Tokenizer, text: str) -> list[int]:
    return tokenizer.encode(text).ids


def test_flush_cuts_a_stop_string_completed_by_a_token_that_ends_inside_a_character():
    # "DÃ" is the byte 'D' followed by the first byte of "é" (C3): the decoded text ends in U+FFFD,
    # so add() waits; when the reply then ends (EOS, max_tokens), flush() must still cut "END".
    tokenizer = byte_tokenizer(extra=["DÃ"])
    decoder = StreamDecoder(tokenizer, stop=["END"])
    ids = byte_ids(tokenizer, "ab EN") + [tokenizer.token_to_id("DÃ")]
    streamed = "".join(decoder.add(i) for i in ids)
    tail = decoder.flush()
    assert streamed + tail == "ab "
    assert decoder.stopped


class ScriptedHost:
    """Stands in for engine.native.host.Host: the token a step samples is `script[i]`, i the
    index of the reply token that step produces (kv_len - prompt length), so cancelled and
    re-run steps sample the same token again."""

    def __init__(self, script: list[int], prompt_len: int, context: int = 64, vocab: int = 300):
        self.plan = {"context": context, "chunk": 8, "vocab_size": vocab}
        self.script, self.prompt_len = script, prompt_len
        self.kv_len = 0
        self.pending = deque()

    def write_step(self, **fields):
        self.kv_len = fields["kv_len"]

    def write_tokens(self, tokens, buffer="tokens", first=0):
        pass

    def run(self, program, read_back=False):
        if read_back:
            self.pending.append(self.script[self.kv_len - self.prompt_len])

    def read_sampled(self) -> int:
        return self.pending.popleft()

    def drop_pending(self):
        self.pending.clear()


def scripted_session(tokenizer: Tokenizer, script: list[int], prompt_len: int, eos=()) -> Session:
    session = Session.__new__(Session)  # no GPU, no store: just the generation loop
    session.model_id, session.needs_reload, session.load_seconds = "scripted", False, 0.0
    session.tokenizer, session.eos, session.bos_id, session.template = tokenizer, set(eos), None, None
    session.host = ScriptedHost(script, prompt_len)
    session.runner = ModelRunner(session.host)
    session.plan = session.host.plan
    session.cached = []
    return session


def test_a_reply_closed_early_still_counts_the_tokens_it_streamed():
    # The API closes the stream on cancel or disconnect and then reports usage from the Result;
    # the webview host counts the tokens generated so far, so the native host must as well.
    tokenizer = byte_tokenizer()
    prompt = byte_ids(tokenizer, "hi")
    session = scripted_session(tokenizer, byte_ids(tokenizer, "abcdefgh"), len(prompt))
    result = Result(prompt_tokens=len(prompt))
    pieces = session.stream(prompt, Sampling(), 8, None, result)
    taken = [next(pieces) for _ in range(3)]
    pieces.close()
    assert "".join(taken) == "abc"
    assert result.completion_tokens == 3
    # the cache holds the prompt and the tokens fed, and the runner agrees
    assert session.runner.pos == len(session.cached) == len(prompt) + 2


def test_the_session_renders_templates_with_loop_controls_as_transformers_does(tmp_path):
    # Session.chat_tokens renders with engine/chat_template.py, the renderer the webview parity test
    # checks: {% continue %} and {% break %} in loops work, as in transformers.
    from engine.session import Session
    from tests.engine.tiny_store import tiny_model

    session = Session(tiny_model(tmp_path, "llama"), context=64)
    session.template = (
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "<{{ m.role }}:{{ m.content }}>{% if loop.index >= 3 %}{% break %}{% endif %}{% endfor %}"
    )
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                {"role": "assistant", "content": "A"}, {"role": "user", "content": "late"}]
    expected = session.tokenizer.encode("<user:U><assistant:A>", add_special_tokens=False).ids
    assert session.chat_tokens(messages) == expected
