"""RoPE inverse-frequency tables, computed once in Python (the kernels only multiply by position).

inv_freq[i] = theta^(-2i/head_dim), then scaled as the model's rope_scaling says (transformers'
formulas for llama3 and linear; GGUF's per-frequency factors divide). Gemma 3's local layers use
rope_local_theta without scaling.
"""

import math

import numpy as np


def base_inv_freq(theta: float, rotary_dim: int) -> np.ndarray:
    exponents = np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim
    return 1.0 / (theta**exponents)


def llama3_scaled(inv_freq: np.ndarray, scaling: dict) -> np.ndarray:
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_max_position_embeddings"]
    low_wavelen, high_wavelen = original / low, original / high
    out = []
    for f in inv_freq:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(f)
        elif wavelen > low_wavelen:
            out.append(f / factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return np.array(out)


def inv_freq_table(config: dict, kind: str, freq_factors: np.ndarray | None = None) -> np.ndarray:
    """kind: "global" (rope_theta, scaled) or "local" (Gemma 3's sliding layers)."""
    head_dim = config["head_dim"]
    if kind == "local":
        return base_inv_freq(config["rope_local_theta"], head_dim).astype(np.float32)
    inv_freq = base_inv_freq(config["rope_theta"], head_dim)
    scaling = config.get("rope_scaling")
    if scaling is None:
        pass
    elif scaling["type"] == "linear":
        inv_freq = inv_freq / scaling["factor"]
    elif scaling["type"] == "llama3":
        inv_freq = llama3_scaled(inv_freq, scaling)
    elif scaling["type"] == "freq_factors":
        inv_freq = inv_freq / np.asarray(freq_factors, np.float64)[: inv_freq.size]
    else:
        raise ValueError(f"unknown rope scaling {scaling['type']}")
    return inv_freq.astype(np.float32)


def rope_kind(config: dict, layer: int) -> str:
    local = config.get("rope_local_theta") is not None and config["layer_types"][layer] == "sliding"
    return "local" if local else "global"
