"""GGUF metadata → Hearth's normalised architecture and config (docs/formats.md, "config")."""

import math

import gguf
import numpy as np

from desktop.errors import BadModelFile, UnsupportedModel

SUPPORTED_ARCHITECTURES = ("llama", "qwen2", "qwen3", "gemma3")
# Llama 3.1/3.2's published rope scaling; GGUF keeps only the resulting per-frequency factors.
LLAMA3_KNOWN = {"low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
GEMMA3_LOCAL_THETA = 10000.0  # llama.cpp's fixed base for Gemma 3's sliding layers
GEMMA3_GLOBAL_EVERY = 6  # every sixth Gemma 3 layer attends globally


def field(reader: gguf.GGUFReader, key: str, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def _required(reader: gguf.GGUFReader, key: str):
    value = field(reader, key)
    if value is None:
        raise BadModelFile(f"This GGUF lacks the '{key}' setting; it is incomplete, download it again.")
    return value


def architecture_of(reader: gguf.GGUFReader) -> str:
    arch = field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise UnsupportedModel(
            f"This GGUF holds a '{arch}' model, which Hearth cannot run yet; "
            f"it runs {', '.join(SUPPORTED_ARCHITECTURES)}."
        )
    return arch


def llama3_scaling_from_factors(freq_factors: np.ndarray, head_dim: int, theta: float) -> dict:
    """Recognises Llama 3's scaling from rope_freqs.weight; else records that the factors are the truth."""
    factor = float(np.max(freq_factors))
    params = {"type": "llama3", "factor": factor, **LLAMA3_KNOWN}
    low_wavelen = params["original_max_position_embeddings"] / params["low_freq_factor"]
    high_wavelen = params["original_max_position_embeddings"] / params["high_freq_factor"]
    expected = []
    for i in range(0, head_dim, 2):
        wavelen = 2 * math.pi / (1.0 / theta ** (i / head_dim))
        if wavelen < high_wavelen:
            expected.append(1.0)
        elif wavelen > low_wavelen:
            expected.append(factor)
        else:
            smooth = (params["original_max_position_embeddings"] / wavelen - params["low_freq_factor"]) / (
                params["high_freq_factor"] - params["low_freq_factor"]
            )
            expected.append(1.0 / ((1 - smooth) / factor + smooth))
    if len(expected) == freq_factors.size and np.allclose(freq_factors, expected, rtol=1e-5):
        return params
    # Not the published recipe: the engine divides each frequency by the stored factor instead.
    return {"type": "freq_factors", "tensor": "rope_freqs.weight"}


def _rope_scaling(reader, arch: str, tensors: dict, head_dim: int, theta: float) -> dict | None:
    if "rope_freqs.weight" in tensors:
        factors = np.asarray(tensors["rope_freqs.weight"].data, dtype=np.float32).reshape(-1)
        return llama3_scaling_from_factors(factors, head_dim, theta)
    kind = field(reader, f"{arch}.rope.scaling.type")
    factor = field(reader, f"{arch}.rope.scaling.factor")
    if kind in (None, "none") or not factor or factor == 1.0:
        return None
    if kind == "linear":
        return {"type": "linear", "factor": float(factor)}
    raise UnsupportedModel(
        f"This GGUF uses '{kind}' RoPE scaling, which Hearth cannot run yet; try a model without it."
    )


def config_from_gguf(reader: gguf.GGUFReader) -> tuple[str, dict]:
    """Returns (architecture, config) with the keys docs/formats.md lists."""
    arch = architecture_of(reader)
    tensors = {t.name: t for t in reader.tensors}
    if "token_embd.weight" not in tensors:
        raise BadModelFile("This GGUF has no token_embd.weight tensor; it is incomplete, download it again.")

    def key(name, default=None):
        return field(reader, f"{arch}.{name}", default)

    hidden = int(_required(reader, f"{arch}.embedding_length"))
    heads = int(_required(reader, f"{arch}.attention.head_count"))
    layers = int(_required(reader, f"{arch}.block_count"))
    head_dim = int(key("attention.key_length", hidden // heads))
    theta = float(key("rope.freq_base", 10000.0))
    context = int(key("context_length", 2048))
    is_gemma = arch == "gemma3"
    config = {
        "vocab_size": int(tensors["token_embd.weight"].shape[1]),
        "hidden_size": hidden,
        "intermediate_size": int(_required(reader, f"{arch}.feed_forward_length")),
        "num_layers": layers,
        "num_heads": heads,
        "num_kv_heads": int(key("attention.head_count_kv", heads)),
        "head_dim": head_dim,
        "rms_norm_eps": float(key("attention.layer_norm_rms_epsilon", 1e-6)),
        "rope_theta": theta,
        "rope_local_theta": float(key("rope.freq_base_swa", GEMMA3_LOCAL_THETA)) if is_gemma else None,
        "rope_scaling": _rope_scaling(reader, arch, tensors, head_dim, theta),
        # llama.cpp permutes Llama's q/k rows so that rotated pairs sit side by side.
        "rope_pairing": "adjacent" if arch == "llama" else "half",
        "tie_word_embeddings": "output.weight" not in tensors,
        "attention_bias": "blk.0.attn_q.bias" in tensors,
        "qk_norm": "blk.0.attn_q_norm.weight" in tensors,
        # llama.cpp's converter already adds Gemma's 1 to every norm weight, so no offset here.
        "norm_offset": 0.0,
        "hidden_act": "gelu_tanh" if is_gemma else "silu",
        "embedding_scale": math.sqrt(hidden) if is_gemma else 1.0,
        "sandwich_norms": "blk.0.post_ffw_norm.weight" in tensors,
        "sliding_window": int(_required(reader, f"{arch}.attention.sliding_window")) if is_gemma else None,
        "layer_types": _layer_types(arch, layers),
        "attn_scale": _attn_scale(arch, hidden, heads, head_dim, layers),
        "final_logit_softcap": float(key("final_logit_softcapping", 0.0)) or None,
        "max_position_embeddings": context,
    }
    return arch, config


def _layer_types(arch: str, layers: int) -> list[str]:
    if arch != "gemma3":
        return ["full"] * layers
    return ["full" if (i + 1) % GEMMA3_GLOBAL_EVERY == 0 else "sliding" for i in range(layers)]


def _attn_scale(arch: str, hidden: int, heads: int, head_dim: int, layers: int) -> float:
    # Gemma 3 27B (62 layers) scales by query_pre_attn_scalar = hidden / heads, as llama.cpp does.
    if arch == "gemma3" and layers == 62:
        return 1.0 / math.sqrt(hidden / heads)
    return 1.0 / math.sqrt(head_dim)
