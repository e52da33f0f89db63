"""Hugging Face config.json normalisation and tensor-name mapping.

The config dicts below are trimmed copies of real hub config.json files (the keys that matter).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from desktop.errors import UnsupportedModel
from desktop.importers.hf_config import hf_tensor_name, normalize_hf_config

SMOLLM2_135M = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu", "hidden_size": 576,
    "intermediate_size": 1536, "max_position_embeddings": 8192, "num_attention_heads": 9,
    "num_hidden_layers": 30, "num_key_value_heads": 3, "rms_norm_eps": 1e-05, "rope_scaling": None,
    "rope_theta": 100000, "tie_word_embeddings": True, "vocab_size": 49152,
}
LLAMA_32_1B = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 8192, "max_position_embeddings": 131072, "num_attention_heads": 32,
    "num_hidden_layers": 16, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "head_dim": 64,
    "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": True, "vocab_size": 128256,
}
MISTRAL_7B_V01 = {
    "architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_act": "silu",
    "hidden_size": 4096, "intermediate_size": 14336, "max_position_embeddings": 32768,
    "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 4096, "tie_word_embeddings": False, "vocab_size": 32000,
}
QWEN25_05B = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu", "hidden_size": 896,
    "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21,
    "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": True,
    "use_sliding_window": False, "vocab_size": 151936,
}
QWEN3_06B = {
    "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": False, "head_dim": 128,
    "hidden_act": "silu", "hidden_size": 1024, "intermediate_size": 3072, "max_position_embeddings": 40960,
    "max_window_layers": 28, "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None,
    "tie_word_embeddings": True, "use_sliding_window": False, "vocab_size": 151936,
}
GEMMA3_1B = {
    "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "attn_logit_softcapping": None,
    "final_logit_softcapping": None, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 1152, "intermediate_size": 6912, "max_position_embeddings": 32768,
    "num_attention_heads": 4, "num_hidden_layers": 26, "num_key_value_heads": 1,
    "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_local_base_freq": 10000,
    "rope_scaling": None, "rope_theta": 1000000, "sliding_window": 512, "sliding_window_pattern": 6,
    "vocab_size": 262144,
}
# Gemma3ForConditionalGeneration: text_config lists only what differs from Gemma3TextConfig's defaults.
GEMMA3_4B = {
    "architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
    "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                    "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                    "sliding_window": 1024},
    "vision_config": {"model_type": "siglip_vision_model"},
}


def _formats_md_config_keys() -> set[str]:
    text = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
    table = text.split("### config", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| ([a-z_, ]+) \|", table, re.M)
    return {key for row in rows for key in row.split(", ")} - {"key"}


@pytest.mark.parametrize("cfg", [SMOLLM2_135M, LLAMA_32_1B, MISTRAL_7B_V01, QWEN25_05B, QWEN3_06B,
                                 GEMMA3_1B, GEMMA3_4B])
def test_normalised_config_has_exactly_the_documented_keys(cfg):
    _, config = normalize_hf_config(cfg)
    assert set(config) == _formats_md_config_keys()
    assert len(config["layer_types"]) == config["num_layers"]


def test_smollm2_is_a_tied_llama_with_half_pairing():
    architecture, c = normalize_hf_config(SMOLLM2_135M)
    assert architecture == "llama"
    assert (c["num_heads"], c["num_kv_heads"], c["head_dim"]) == (9, 3, 64)
    assert c["tie_word_embeddings"] and c["rope_pairing"] == "half" and c["rope_scaling"] is None
    assert c["rope_theta"] == 100000 and c["rms_norm_eps"] == 1e-5 and c["hidden_act"] == "silu"
    assert c["attn_scale"] == pytest.approx(1 / 8) and c["embedding_scale"] == 1.0
    assert c["sliding_window"] is None and set(c["layer_types"]) == {"full"}


def test_llama3_rope_scaling_is_kept():
    _, c = normalize_hf_config(LLAMA_32_1B)
    assert c["rope_scaling"] == {"type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}
    assert c["head_dim"] == 64 and c["num_kv_heads"] == 8


def test_mistral_window_covers_every_layer_unless_null():
    architecture, c = normalize_hf_config(MISTRAL_7B_V01)
    assert architecture == "llama" and c["sliding_window"] == 4096 and set(c["layer_types"]) == {"sliding"}
    _, v03 = normalize_hf_config({**MISTRAL_7B_V01, "sliding_window": None})
    assert v03["sliding_window"] is None and set(v03["layer_types"]) == {"full"}


def test_qwen2_has_biases_and_no_window_when_disabled():
    architecture, c = normalize_hf_config(QWEN25_05B)
    assert architecture == "qwen2" and c["attention_bias"] and not c["qk_norm"]
    assert c["sliding_window"] is None and c["tie_word_embeddings"] and c["head_dim"] == 64


def test_qwen3_has_qk_norm_and_its_own_head_dim():
    architecture, c = normalize_hf_config(QWEN3_06B)
    assert architecture == "qwen3" and c["qk_norm"] and not c["attention_bias"]
    assert c["head_dim"] == 128 != c["hidden_size"] // c["num_heads"]
    assert c["attn_scale"] == pytest.approx(128**-0.5)


def test_gemma3_text_config():
    architecture, c = normalize_hf_config(GEMMA3_1B)
    assert architecture == "gemma3"
    assert c["norm_offset"] == 1.0 and c["sandwich_norms"] and c["qk_norm"] and c["hidden_act"] == "gelu_tanh"
    assert c["embedding_scale"] == pytest.approx(math.sqrt(1152))
    assert c["attn_scale"] == pytest.approx(1 / 16)
    assert (c["rope_theta"], c["rope_local_theta"], c["sliding_window"]) == (1e6, 1e4, 512)
    assert [i for i, t in enumerate(c["layer_types"]) if t == "full"] == [5, 11, 17, 23]
    assert c["final_logit_softcap"] is None and c["tie_word_embeddings"] and c["num_kv_heads"] == 1


def test_gemma3_multimodal_config_reads_text_config_with_defaults():
    _, c = normalize_hf_config(GEMMA3_4B)
    assert (c["hidden_size"], c["num_layers"], c["num_heads"], c["num_kv_heads"], c["head_dim"]) == (
        2560, 34, 8, 4, 256)
    assert c["rope_scaling"] == {"type": "linear", "factor": 8.0} and c["sliding_window"] == 1024
    assert c["vocab_size"] == 262208 and c["tie_word_embeddings"]


def test_transformers_v5_rope_parameters_give_the_same_config():
    transformers = pytest.importorskip("transformers")
    v5 = transformers.Gemma3TextConfig(**{k: v for k, v in GEMMA3_4B["text_config"].items()
                                          if k != "model_type"}).to_dict()
    assert "rope_parameters" in v5
    v5["architectures"] = ["Gemma3ForCausalLM"]
    assert normalize_hf_config(v5) == normalize_hf_config(GEMMA3_4B)
    llama = transformers.LlamaConfig(**{k: v for k, v in LLAMA_32_1B.items() if k != "model_type"}).to_dict()
    assert normalize_hf_config(llama) == normalize_hf_config(LLAMA_32_1B)


def test_unsupported_architecture_names_the_supported_ones():
    with pytest.raises(UnsupportedModel) as error:
        normalize_hf_config({"architectures": ["MptForCausalLM"], "model_type": "mpt"})
    assert str(error.value) == (
        "Hearth cannot run MPT models yet; supported: Llama, Mistral, Qwen2, Qwen3, Gemma 3."
    )
    with pytest.raises(UnsupportedModel, match="yarn"):
        normalize_hf_config({**QWEN3_06B, "rope_scaling": {"rope_type": "yarn", "factor": 4.0}})


@pytest.mark.parametrize("hf_name, architecture, canonical", [
    ("model.embed_tokens.weight", "llama", "token_embd.weight"),
    ("model.norm.weight", "llama", "output_norm.weight"),
    ("lm_head.weight", "qwen2", "output.weight"),
    ("model.layers.3.self_attn.q_proj.weight", "llama", "blk.3.attn_q.weight"),
    ("model.layers.12.self_attn.o_proj.weight", "llama", "blk.12.attn_output.weight"),
    ("model.layers.0.self_attn.k_proj.bias", "qwen2", "blk.0.attn_k.bias"),
    ("model.layers.1.self_attn.q_norm.weight", "qwen3", "blk.1.attn_q_norm.weight"),
    ("model.layers.1.post_attention_layernorm.weight", "llama", "blk.1.ffn_norm.weight"),
    ("model.layers.1.post_attention_layernorm.weight", "gemma3", "blk.1.post_attention_norm.weight"),
    ("model.layers.1.pre_feedforward_layernorm.weight", "gemma3", "blk.1.ffn_norm.weight"),
    ("model.layers.1.post_feedforward_layernorm.weight", "gemma3", "blk.1.post_ffw_norm.weight"),
    ("language_model.model.layers.2.mlp.down_proj.weight", "gemma3", "blk.2.ffn_down.weight"),
    ("model.language_model.embed_tokens.weight", "gemma3", "token_embd.weight"),
    ("model.layers.0.self_attn.rotary_emb.inv_freq", "llama", None),
    ("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight", "gemma3", None),
    ("model.multi_modal_projector.mm_input_projection_weight", "gemma3", None),
])
def test_tensor_names(hf_name, architecture, canonical):
    assert hf_tensor_name(hf_name, architecture) == canonical


def test_unknown_tensor_is_an_error_not_a_silent_drop():
    with pytest.raises(UnsupportedModel, match="model.layers.0.mlp.experts.0.w1.weight"):
        hf_tensor_name("model.layers.0.mlp.experts.0.w1.weight", "llama")
