"""`hearth chat/complete --json` through the real command: stdout holds one JSON document and
nothing else; errors are one sentence on stderr with exit status 1 (2 for bad usage); a prompt
beyond --context is refused and generation that reaches the end of the context says "length";
the same --seed gives the same text."""

import pytest
from tokenizers import Tokenizer

from desktop.store.model_store import ModelStore
from tests.cli.hearth_cli import one_document, one_sentence, run_hearth


def tiny_tokenizer(home) -> Tokenizer:
    return Tokenizer.from_file(str(ModelStore(home).open_model("tiny").folder / "tokenizer.json"))


@pytest.mark.parametrize(
    "named, args",
    [
        ("--temperature", ("chat", "--prompt", "hi", "--temperature", "-1", "--json")),
        ("--max-tokens", ("complete", "--prompt", "hi", "--max-tokens", "0", "--json")),
        ("--top-p", ("complete", "--prompt", "hi", "--top-p", "1.5", "--json")),
        ("--seed", ("chat", "--prompt", "hi", "--seed", "many", "--json")),
        ("--prompt", ("chat", "--json")),  # the interactive chat has no JSON form
    ],
)
def test_bad_usage_is_one_sentence_and_exit_2(tmp_path, named, args):
    done = run_hearth(tmp_path / "home", *args)
    assert done.returncode == 2 and done.stdout == ""
    sentence = one_sentence(done.stderr)
    assert named in sentence and "--help" in sentence
    assert not (tmp_path / "home").exists(), "bad usage is refused before touching the store"


def test_unknown_model_is_one_sentence_and_exit_1(tiny_home):
    done = run_hearth(tiny_home, "chat", "--model", "no-such-model", "--prompt", "hi", "--json")
    assert done.returncode == 1 and done.stdout == ""
    sentence = one_sentence(done.stderr)
    assert "no-such-model" in sentence and "tiny" in sentence  # names what is installed


def test_prompt_beyond_the_context_is_refused_with_what_to_do(tiny_home):
    done = run_hearth(tiny_home, "complete", "--model", "tiny", "--context", "64", "--prompt", "a long prompt " * 12)
    assert done.returncode == 1 and done.stdout == ""
    sentence = one_sentence(done.stderr)
    assert "64" in sentence and "shorter prompt" in sentence and "larger --context" in sentence


def test_generation_that_fills_the_context_stops_with_length_and_stays_right(tiny_home):
    prompt = "the quick brown fox " * 3
    prompt_tokens = len(tiny_tokenizer(tiny_home).encode(prompt).ids)
    room = 64 - prompt_tokens + 1  # tokens until position 63 is filled, plus the one sampled from it
    sampled = ("--temperature", "1", "--seed", "3", "--json")
    full = one_document(
        run_hearth(
            tiny_home,
            "complete",
            "--model",
            "tiny",
            "--context",
            "64",
            "--prompt",
            prompt,
            "--max-tokens",
            "50",
            *sampled,
        )
    )
    assert full["usage"] == {"prompt_tokens": prompt_tokens, "completion_tokens": room}
    assert full["finish_reason"] == "length"
    # the same draws with room to spare: the tokens at the end of the small context are right
    roomy = one_document(
        run_hearth(
            tiny_home,
            "complete",
            "--model",
            "tiny",
            "--context",
            "128",
            "--prompt",
            prompt,
            "--max-tokens",
            str(room),
            *sampled,
        )
    )
    assert roomy["usage"]["completion_tokens"] == room and roomy["text"] == full["text"]


def test_same_seed_same_text_and_plain_output_is_the_text(tiny_home):
    def sample(seed: int, *extra: str):
        args = ("complete", "--model", "tiny", "--prompt", "hello", "--max-tokens", "8", "--temperature", "1")
        return run_hearth(tiny_home, *args, "--seed", str(seed), *extra)

    first = one_document(sample(7, "--json"))
    assert first["usage"]["completion_tokens"] == 8
    again = sample(7)  # another process, the same seed: the same text, streamed as plain output
    assert again.returncode == 0 and again.stdout == first["text"] + "\n"
    other = one_document(sample(8, "--json"))
    assert other["text"] != first["text"], "a different seed draws different tokens"
