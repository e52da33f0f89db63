"""`hearth complete` on the default model (SmolLM2) through the real command: raw continuation,
no chat template, and the text excludes the prompt."""

from tokenizers import Tokenizer

from tests.cli.hearth_cli import one_document, run_hearth
from tests.engine.smollm2 import smollm2_store  # noqa: F401 - fixture


def test_complete_continues_raw_text_without_the_prompt(smollm2_store):  # noqa: F811
    prompt = "The capital of France is"
    done = run_hearth(
        smollm2_store.root, "complete", "--prompt", prompt, "--max-tokens", "4", "--temperature", "0", "--json"
    )
    answer = one_document(done)
    model = smollm2_store.open_model("smollm2-135m-instruct")
    raw = Tokenizer.from_file(str(model.folder / "tokenizer.json")).encode(prompt).ids
    assert answer["usage"]["prompt_tokens"] == len(raw), "no chat template around the prompt"
    assert 1 <= answer["usage"]["completion_tokens"] <= 4
    assert answer["text"].strip() and prompt not in answer["text"]
    assert "Paris" in answer["text"], answer["text"]
