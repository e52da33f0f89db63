"""Rebuild a Hugging Face `tokenizer.json` from a GGUF file's metadata.

A GGUF carries no tokenizer.json: llama.cpp stores the vocabulary, merges, scores, token types and
flags under `tokenizer.ggml.*`. We rebuild the `tokenizers` pipeline that transformers builds from
the same keys (transformers/integrations/gguf/gguf_tokenizer_mapping.py), so ids match it exactly.

Supported `tokenizer.ggml.model` values:
- "gpt2": byte-level BPE (SmolLM, Qwen2, Llama 3, GPT-2 ...). `tokenizer.ggml.pre` picks the split
  regex: llama3/llama-bpe/llama-v3/smaug-bpe/dbrx/falcon3/pixtral/lfm2, qwen2/deepseek-r1-qwen/megrez,
  tekken, gpt-4o/llama4; anything else (smollm, gpt-2, default ...) uses GPT-2's regex.
- "llama": SentencePiece BPE with scores and byte fallback (Llama 2, TinyLlama, Mistral), with
  Gemma's variant for gemma/gemma2/gemma3 architectures and Phi-3's for phi3.

Tokens typed CONTROL become special added tokens and USER_DEFINED ones plain added tokens, so
markers like `<|im_start|>` encode as one id. BOS/EOS are added by a TemplateProcessing
post-processor following `tokenizer.ggml.add_bos_token` / `add_eos_token` (a "llama" vocabulary
without the flag adds BOS, as llama.cpp and transformers do).

Two deliberate differences from transformers, both only reachable with odd files:
- transformers' tokenizer classes append their default special tokens (`<|endoftext|>`, `<s>`...)
  with fresh ids past the model's vocabulary when the file lacks them; we add only tokens the
  vocabulary has, so every id stays inside the embedding table.
- transformers ignores `tokenizer.ggml.add_space_prefix = false` for "llama" files; we honour it,
  as llama.cpp does.
"""

import json

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE

from desktop.errors import BadModelFile, UnsupportedModel

CONTROL, USER_DEFINED = 3, 4
_GEMMA_ARCHITECTURES = {"gemma", "gemma2", "gemma3"}
_SPECIAL_TOKEN_KEYS = {
    "bos": "tokenizer.ggml.bos_token_id",
    "eos": "tokenizer.ggml.eos_token_id",
    "unk": "tokenizer.ggml.unknown_token_id",
    "pad": "tokenizer.ggml.padding_token_id",
}

_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_TEKKEN_SPLIT = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_GPT4O_SPLIT = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# `tokenizer.ggml.pre` -> split regex; names absent here keep GPT-2's built-in ByteLevel regex.
_PRE_TOKENIZER_SPLITS = {
    **dict.fromkeys("llama3 llama-v3 llama-bpe falcon3 falcon-h1 pixtral".split(), _LLAMA3_SPLIT),
    **dict.fromkeys("midm-2.0 lfm2 jina-v5-nano dbrx smaug-bpe".split(), _LLAMA3_SPLIT),
    **dict.fromkeys("qwen2 deepseek-r1-qwen kormo f2llmv2 megrez".split(), _QWEN2_SPLIT),
    "tekken": _TEKKEN_SPLIT,
    **dict.fromkeys("gpt-4o llama4 kanana2 talkie minimax-m2".split(), _GPT4O_SPLIT),
}


def chat_template_from_gguf(reader) -> str | None:
    """The Jinja chat template the file carries, or None when it has none."""
    return _field(reader, "tokenizer.chat_template")


def tokenizer_json_from_gguf(reader) -> str:
    """A `tokenizers` JSON string that encodes like transformers' tokenizer for this GGUF."""
    meta = _TokenizerMetadata(reader)
    if meta.model == "gpt2":
        tokenizer, named = _byte_level_bpe(meta)
    elif meta.model == "llama":
        tokenizer, named = _sentencepiece_bpe(meta)
    else:
        raise UnsupportedModel(
            f"This GGUF uses the {meta.model!r} tokenizer, which Hearth cannot read yet; "
            "try a model with a gpt2 (byte-level BPE) or llama (SentencePiece) tokenizer."
        )
    _add_typed_tokens(tokenizer, meta)
    _add_named_special_tokens(tokenizer, meta, named)
    document = json.loads(tokenizer.to_str())
    document["post_processor"] = _bos_eos_template(tokenizer, meta)
    return json.dumps(document, ensure_ascii=False)


class _TokenizerMetadata:
    """The `tokenizer.*` keys of a GGUF, read once."""

    def __init__(self, reader):
        self.model = _field(reader, "tokenizer.ggml.model")
        self.tokens = _field(reader, "tokenizer.ggml.tokens")
        if self.model is None or not self.tokens:
            raise BadModelFile(
                "This GGUF has no tokenizer in its metadata; "
                "re-download it or re-convert it with a recent llama.cpp."
            )
        self.architecture = _field(reader, "general.architecture")
        self.pre = _field(reader, "tokenizer.ggml.pre")
        self.merges = _field(reader, "tokenizer.ggml.merges")
        self.scores = _field(reader, "tokenizer.ggml.scores")
        self.token_types = _field(reader, "tokenizer.ggml.token_type") or []
        self.add_space_prefix = _field(reader, "tokenizer.ggml.add_space_prefix")
        # llama.cpp adds BOS to a SentencePiece vocabulary that does not say otherwise.
        default_bos = self.model == "llama"
        self.add_bos = bool(_field(reader, "tokenizer.ggml.add_bos_token", default_bos))
        self.add_eos = bool(_field(reader, "tokenizer.ggml.add_eos_token", False))
        self.special_ids = {name: _field(reader, key) for name, key in _SPECIAL_TOKEN_KEYS.items()}
        for name, token_id in self.special_ids.items():
            if token_id is not None and not 0 <= token_id < len(self.tokens):
                raise BadModelFile(
                    f"This GGUF's {name} token id {token_id} is outside its vocabulary; "
                    "re-download it or re-convert it with a recent llama.cpp."
                )

    def special_token(self, name: str) -> str | None:
        token_id = self.special_ids[name]
        return None if token_id is None else self.tokens[token_id]


def _field(reader, key: str, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    value = field.contents()
    return value.tolist() if hasattr(value, "tolist") else value


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable spelling of each byte, the alphabet byte-level vocabularies are written in."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += range(ord("®"), ord("ÿ") + 1)
    spelled = {byte: chr(byte) for byte in printable}
    extra = 0
    for byte in range(256):
        if byte not in spelled:
            spelled[byte] = chr(256 + extra)
            extra += 1
    return dict(sorted(spelled.items()))


def _byte_level_bpe(meta: _TokenizerMetadata) -> tuple[Tokenizer, list[str]]:
    spelling = bytes_to_unicode()
    alphabet = set(spelling.values())
    # Tokens outside the byte alphabet (rare llama.cpp exports) are respelled byte by byte.
    vocab = {
        token if set(token) <= alphabet else "".join(spelling[b] for b in token.encode("utf-8")): index
        for index, token in enumerate(meta.tokens)
    }
    if meta.merges is None:
        raise BadModelFile(
            "This byte-level GGUF has no merges; re-download it or re-convert it with a recent llama.cpp."
        )
    merges = [tuple(merge.split(" ")) for merge in meta.merges]
    tokenizer = Tokenizer(
        BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
        )
    )
    split = _PRE_TOKENIZER_SPLITS.get(meta.pre)
    if split is None:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(split), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer, ["<|endoftext|>"]  # GPT2Tokenizer's default unk/bos/eos


def _sentencepiece_bpe(meta: _TokenizerMetadata) -> tuple[Tokenizer, list[str]]:
    """SentencePiece BPE as transformers' LlamaTokenizer builds it, with Gemma's and Phi-3's variants."""
    tokens = meta.tokens
    if meta.architecture in _GEMMA_ARCHITECTURES:
        # Gemma stores tokens of two or more spaces as real spaces but looks them up as "▁▁", and its
        # scores do not follow its merge order: the file's token order does.
        tokens = ["\u2581" * len(t) if " " in t and not t.strip() else t for t in tokens]
        scores = {token: -index for index, token in enumerate(tokens)}
    elif meta.scores is not None:
        scores = dict(zip(tokens, meta.scores, strict=False))
    elif meta.merges is None:
        raise BadModelFile(
            "This SentencePiece GGUF has neither scores nor merges; "
            "re-download it or re-convert it with a recent llama.cpp."
        )
    vocab = {token: index for index, token in enumerate(tokens)}
    if meta.merges is not None:
        merges = [tuple(merge.split(" ")) for merge in meta.merges]
    else:
        merges = _merges_from_scores(vocab, scores)

    if meta.architecture in _GEMMA_ARCHITECTURES:
        tokenizer = Tokenizer(
            BPE(
                vocab=vocab, merges=merges, fuse_unk=True, unk_token="<unk>", byte_fallback=True, dropout=None
            )
        )
        tokenizer.normalizer = normalizers.Replace(" ", "\u2581")
        tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", behavior="merged_with_previous")
        tokenizer.decoder = decoders.Sequence(
            [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
        )
        return tokenizer, ["<unk>", "<bos>", "<eos>", "<pad>", "<mask>"]  # GemmaTokenizer's defaults

    tokenizer = Tokenizer(BPE(vocab=vocab, merges=merges, fuse_unk=True, byte_fallback=True, dropout=None))
    add_prefix = meta.add_space_prefix is not False
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme="first" if add_prefix else "never", split=False
    )
    decode_steps = [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
    if add_prefix:
        decode_steps.append(decoders.Strip(content=" ", left=1))
    tokenizer.decoder = decoders.Sequence(decode_steps)
    if meta.architecture == "phi3" and add_prefix:
        # Phi-3 prepends "▁" with a normalizer, so text starting with spaces keeps one more "▁".
        tokenizer.normalizer = normalizers.Sequence(
            [normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")]
        )
        tokenizer.pre_tokenizer = None
    return tokenizer, ["<unk>", "<s>", "</s>"]  # LlamaTokenizer's defaults


def _merges_from_scores(vocab: dict[str, int], scores: dict[str, float]) -> list[tuple[str, str]]:
    """The merges a SentencePiece vocabulary implies: every split of a piece into two pieces, best
    score first (transformers' generate_merges, so ties break the same way)."""
    merges = []
    for piece, score in scores.items():
        splits = [
            (piece[:cut], piece[cut:], score)
            for cut in range(1, len(piece))
            if piece[:cut] in vocab and piece[cut:] in vocab
        ]
        splits.sort(key=lambda split: (vocab[split[0]], vocab[split[1]]))
        merges.extend(splits)
    merges.sort(key=lambda merge: (merge[2], len(merge[0]), len(merge[1])), reverse=True)
    return [(left, right) for left, right, _ in merges]


def _add_typed_tokens(tokenizer: Tokenizer, meta: _TokenizerMetadata) -> None:
    """CONTROL tokens become special added tokens, USER_DEFINED ones plain added tokens.

    In a byte-level vocabulary a CONTROL token spelled outside the byte alphabet is a llama.cpp
    mislabel; transformers skips those, and so do we.
    """
    alphabet = set(bytes_to_unicode().values()) if meta.model == "gpt2" else None
    typed = list(zip(meta.tokens, meta.token_types, strict=False))
    control = [
        AddedToken(token, normalized=False, special=True)
        for token, kind in typed
        if kind == CONTROL and (alphabet is None or set(token) <= alphabet)
    ]
    if control:
        tokenizer.add_special_tokens(control)
    vocab = tokenizer.get_vocab()
    user_defined = [
        AddedToken(token, normalized=False, special=False)
        for token, kind in typed
        if kind == USER_DEFINED and token in vocab
    ]
    if user_defined:
        tokenizer.add_tokens(user_defined)


def _add_named_special_tokens(
    tokenizer: Tokenizer, meta: _TokenizerMetadata, class_defaults: list[str]
) -> None:
    """Match transformers adding its tokenizer class's default and the file's bos/eos/unk/pad as
    special tokens, so they too encode whole; only those the vocabulary holds (see module doc)."""
    vocab = tokenizer.get_vocab()
    added = {token.content for token in tokenizer.get_added_tokens_decoder().values()}
    names = [*class_defaults, *(meta.special_token(name) for name in meta.special_ids)]
    missing = [name for name in dict.fromkeys(names) if name in vocab and name not in added]
    if missing:
        tokenizer.add_special_tokens([AddedToken(name, special=True, normalized=False) for name in missing])


def _bos_eos_template(tokenizer: Tokenizer, meta: _TokenizerMetadata) -> dict:
    """transformers' TemplateProcessing for add_bos/add_eos, written as JSON because the Python
    constructor cannot name a token that holds a colon."""
    bos, eos = meta.special_token("bos"), meta.special_token("eos")
    before = [bos] if meta.add_bos and bos is not None else []
    after = [eos] if meta.add_eos and eos is not None else []

    def around(sequence: str, type_id: int) -> list[dict]:
        special = [{"SpecialToken": {"id": token, "type_id": type_id}} for token in before]
        closing = [{"SpecialToken": {"id": token, "type_id": type_id}} for token in after]
        return [*special, {"Sequence": {"id": sequence, "type_id": type_id}}, *closing]

    special_tokens = {
        token: {"id": token, "ids": [tokenizer.token_to_id(token)], "tokens": [token]}
        for token in before + after
    }
    return {
        "type": "TemplateProcessing",
        "single": around("A", 0),
        "pair": around("A", 0) + around("B", 1),
        "special_tokens": special_tokens,
    }


__all__ = ["chat_template_from_gguf", "tokenizer_json_from_gguf"]
