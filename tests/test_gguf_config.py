"""GGUF metadata → normalised config, checked against transformers' own GGUF reader where it has one."""

import math

import gguf
import numpy as np
import pytest

from desktop.importers.gguf_config import config_from_gguf, llama3_scaling_from_factors
from desktop.importers.gguf_import import import_gguf
from desktop.store.model_store import ModelStore
from tests.gguf_fixtures import write_tiny_gguf

Q = gguf.GGMLQuantizationType
HEAD_NORM = (Q.F32, None, 32)
ARCHITECTURES = {
    "llama": ({}, {}),
    "qwen2": ({}, {"blk.0.attn_q.bias": (Q.F32, None, 64)}),
    "qwen3": (
        {"qwen3.attention.key_length": 32, "qwen3.attention.value_length": 32},
        {"blk.0.attn_q_norm.weight": HEAD_NORM, "blk.0.attn_k_norm.weight": HEAD_NORM},
    ),
    "gemma3": (
        {
            "gemma3.block_count": 7, "gemma3.attention.key_length": 32, "gemma3.attention.value_length": 32,
            "gemma3.attention.sliding_window": 16, "gemma3.rope.freq_base": 1e6,
            "gemma3.rope.scaling.type": "linear", "gemma3.rope.scaling.factor": 8.0,
        },
        {"blk.0.attn_q_norm.weight": HEAD_NORM, "blk.0.post_ffw_norm.weight": (Q.F32, None, 64)},
    ),
}


def tiny_config(tmp_path, arch: str) -> tuple[dict, object]:
    metadata, tensors = ARCHITECTURES[arch]
    path = tmp_path / f"{arch}.gguf"
    write_tiny_gguf(path, tensors, arch=arch, metadata=metadata)
    found_arch, config = config_from_gguf(gguf.GGUFReader(path))
    assert found_arch == arch
    return config, path


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_shapes_match_transformers_reading_the_same_file(tmp_path, arch):
    from transformers import AutoConfig

    config, path = tiny_config(tmp_path, arch)
    hf = AutoConfig.from_pretrained(str(path.parent), gguf_file=path.name)
    pairs = {
        "hidden_size": hf.hidden_size, "intermediate_size": hf.intermediate_size,
        "num_layers": hf.num_hidden_layers, "num_heads": hf.num_attention_heads,
        "num_kv_heads": hf.num_key_value_heads, "vocab_size": hf.vocab_size,
        "max_position_embeddings": hf.max_position_embeddings, "tie_word_embeddings": hf.tie_word_embeddings,
    }
    if arch != "qwen3":  # transformers ignores qwen3.attention.key_length and assumes 128
        pairs["head_dim"] = getattr(hf, "head_dim", None) or hf.hidden_size // hf.num_attention_heads
    assert {key: config[key] for key in pairs} == pairs
    assert config["rms_norm_eps"] == pytest.approx(hf.rms_norm_eps)
    if arch == "gemma3":
        hf_types = ["sliding" if t == "sliding_attention" else "full" for t in hf.layer_types]
        assert config["layer_types"] == hf_types and config["sliding_window"] == hf.sliding_window


def test_architecture_specific_settings(tmp_path):
    llama, _ = tiny_config(tmp_path, "llama")
    assert (llama["rope_pairing"], llama["attention_bias"], llama["qk_norm"]) == ("adjacent", False, False)
    assert llama["head_dim"] == 16 and llama["attn_scale"] == pytest.approx(0.25)

    qwen2, _ = tiny_config(tmp_path, "qwen2")
    assert (qwen2["rope_pairing"], qwen2["attention_bias"], qwen2["qk_norm"]) == ("half", True, False)

    qwen3, _ = tiny_config(tmp_path, "qwen3")
    assert (qwen3["head_dim"], qwen3["qk_norm"], qwen3["attention_bias"]) == (32, True, False)
    assert qwen3["attn_scale"] == pytest.approx(32**-0.5)

    gemma, _ = tiny_config(tmp_path, "gemma3")
    assert gemma["hidden_act"] == "gelu_tanh" and gemma["sandwich_norms"] and gemma["qk_norm"]
    assert gemma["embedding_scale"] == pytest.approx(math.sqrt(64))
    assert gemma["norm_offset"] == 0.0  # llama.cpp stored 1 + w already
    assert (gemma["rope_theta"], gemma["rope_local_theta"]) == (1e6, 10000.0)
    assert gemma["rope_scaling"] == {"type": "linear", "factor": 8.0}
    assert gemma["layer_types"].count("full") == 1 and gemma["layer_types"][5] == "full"


def converter_llama3_factors(head_dim, theta, factor, low=1.0, high=4.0, original=8192) -> np.ndarray:
    """What llama.cpp's convert_hf_to_gguf writes to rope_freqs.weight for Llama 3.1+ (float32 torch)."""
    freqs = 1.0 / (np.float32(theta) ** (np.arange(0, head_dim, 2, dtype=np.float32) / np.float32(head_dim)))
    out = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < original / high:
            out.append(1.0)
        elif wavelen > original / low:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, np.float32)


def test_llama3_rope_scaling_is_recognised_and_its_factors_kept(tmp_path):
    factors = converter_llama3_factors(64, 500000.0, 32.0)  # Llama 3.2's settings
    assert llama3_scaling_from_factors(factors, 64, 500000.0) == {
        "type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    odd = converter_llama3_factors(64, 500000.0, 8.0, high=2.0)
    fallback = {"type": "freq_factors", "tensor": "rope_freqs.weight"}
    assert llama3_scaling_from_factors(odd, 64, 500000.0) == fallback

    path = tmp_path / "llama3.gguf"
    metadata = {
        "llama.rope.freq_base": 500000.0, "llama.attention.key_length": 64, "llama.attention.head_count": 1,
    }
    write_tiny_gguf(path, metadata=metadata, vectors={"rope_freqs.weight": factors})
    store = ModelStore(tmp_path / "store")
    manifest = import_gguf(store, path, model_id="l3", progress=False)
    assert manifest["config"]["rope_scaling"]["type"] == "llama3"
    stored = store.open_model("l3").tensor("rope_freqs.weight")
    assert manifest["tensors"]["rope_freqs.weight"]["format"] == "f32" and np.array_equal(stored, factors)
