"""Hugging Face config.json → Hearth's normalised config, and HF tensor names → canonical names.

The normalised keys are the "config" table of docs/formats.md; canonical tensor names are
GGUF's ("Tensor names" there). Both old-style config.json files (rope_theta, rope_scaling,
rope_local_base_freq: what the hub holds) and transformers v5 ones (rope_parameters, possibly
nested per layer type) are read.
"""

from __future__ import annotations

import math
import re

from desktop.errors import UnsupportedModel

SUPPORTED_NAMES = "Llama, Mistral, Qwen2, Qwen3, Gemma 3"

# HF `architectures` entry (or model_type when that is missing) → Hearth architecture.
_ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
    "Gemma3ForCausalLM": "gemma3",
    "Gemma3ForConditionalGeneration": "gemma3",
}
_MODEL_TYPES = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3",
                "gemma3": "gemma3", "gemma3_text": "gemma3"}

_ACTIVATIONS = {"silu": "silu", "swish": "silu", "gelu_pytorch_tanh": "gelu_tanh", "gelu_tanh": "gelu_tanh"}


def _unsupported(what: str) -> UnsupportedModel:
    return UnsupportedModel(f"Hearth cannot run {what} models yet; supported: {SUPPORTED_NAMES}.")


def detect_architecture(cfg: dict) -> str:
    names = cfg.get("architectures") or []
    for name in names:
        if name in _ARCHITECTURES:
            return _ARCHITECTURES[name]
    model_type = cfg.get("model_type", "")
    if not names and model_type in _MODEL_TYPES:
        return _MODEL_TYPES[model_type]
    label = names[0].removesuffix("ForCausalLM") if names else (model_type or "unknown")
    raise _unsupported(label.upper() if len(label) <= 3 and label.isalpha() else label)


def _rope_scaling(params: dict | None, max_positions: int) -> dict | None:
    """One HF rope dict (old rope_scaling or a v5 rope_parameters entry) → formats.md's rope_scaling."""
    if not params:
        return None
    kind = params.get("rope_type", params.get("type", "default"))
    if kind == "default":
        return None
    if kind == "linear":
        return {"type": "linear", "factor": float(params["factor"])}
    if kind == "llama3":
        return {
            "type": "llama3",
            "factor": float(params["factor"]),
            "low_freq_factor": float(params["low_freq_factor"]),
            "high_freq_factor": float(params["high_freq_factor"]),
            # transformers falls back to max_position_embeddings when the key is absent.
            "original_max_position_embeddings": int(
                params.get("original_max_position_embeddings", max_positions)
            ),
        }
    raise UnsupportedModel(
        f"This model uses {kind} RoPE scaling, which Hearth cannot run yet; try a model without it."
    )


def _rope(cfg: dict, default_theta: float) -> tuple[float, dict | None, dict | None]:
    """(theta, rope_scaling, sliding layers' v5 rope dict or None) for global layers."""
    max_positions = int(cfg.get("max_position_embeddings", 8192))
    params = cfg.get("rope_parameters")
    if params and "full_attention" in params:  # v5, nested per layer type (Gemma 3)
        full = params.get("full_attention") or {}
        theta = float(full.get("rope_theta", cfg.get("rope_theta", default_theta)))
        return theta, _rope_scaling(full, max_positions), params.get("sliding_attention")
    if params:  # v5, one dict for every layer
        theta = float(params.get("rope_theta", cfg.get("rope_theta", default_theta)))
        return theta, _rope_scaling(params, max_positions), None
    theta = float(cfg.get("rope_theta", default_theta))
    return theta, _rope_scaling(cfg.get("rope_scaling"), max_positions), None


def _activation(name: str) -> str:
    if name not in _ACTIVATIONS:
        raise UnsupportedModel(f"This model uses the {name} activation, which Hearth cannot run yet.")
    return _ACTIVATIONS[name]


def _common(cfg: dict, architecture: str, tie_default: bool) -> dict:
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    theta, scaling, _ = _rope(cfg, 10000.0)
    return {
        "vocab_size": int(cfg["vocab_size"]),
        "hidden_size": hidden,
        "intermediate_size": int(cfg["intermediate_size"]),
        "num_layers": int(cfg["num_hidden_layers"]),
        "num_heads": heads,
        "num_kv_heads": int(cfg.get("num_key_value_heads") or heads),
        "head_dim": int(cfg.get("head_dim") or hidden // heads),
        "rms_norm_eps": float(cfg.get("rms_norm_eps", 1e-6)),
        "rope_theta": theta,
        "rope_local_theta": None,
        "rope_scaling": scaling,
        "rope_pairing": "half",  # HF checkpoints use rotate_half: pairs (i, i + head_dim/2)
        "tie_word_embeddings": bool(cfg.get("tie_word_embeddings", tie_default)),
        "attention_bias": bool(cfg.get("attention_bias", False)),
        "qk_norm": False,
        "norm_offset": 0.0,
        "hidden_act": _activation(cfg.get("hidden_act", "silu")),
        "embedding_scale": 1.0,
        "sandwich_norms": False,
        "sliding_window": None,
        "layer_types": ["full"] * int(cfg["num_hidden_layers"]),
        "attn_scale": 1.0 / math.sqrt(int(cfg.get("head_dim") or hidden // heads)),
        "final_logit_softcap": None,
        "max_position_embeddings": int(cfg.get("max_position_embeddings", 8192)),
    }


def _qwen_sliding(cfg: dict, out: dict) -> None:
    # Qwen2/3: use_sliding_window puts a window on layers >= max_window_layers (transformers' rule).
    if cfg.get("layer_types"):
        out["layer_types"] = ["sliding" if t == "sliding_attention" else "full" for t in cfg["layer_types"]]
    elif cfg.get("use_sliding_window") and cfg.get("sliding_window"):
        first = int(cfg.get("max_window_layers", out["num_layers"]))
        out["layer_types"] = ["sliding" if i >= first else "full" for i in range(out["num_layers"])]
    if "sliding" in out["layer_types"]:
        out["sliding_window"] = int(cfg["sliding_window"])


# Gemma3TextConfig's defaults: a Gemma3ForConditionalGeneration config.json's text_config holds
# only the keys that differ from them (gemma-3-4b-it has no num_attention_heads, for one).
_GEMMA3_DEFAULTS = {
    "vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "rms_norm_eps": 1e-6,
    "max_position_embeddings": 131_072, "query_pre_attn_scalar": 256, "sliding_window": 4096,
    "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0, "sliding_window_pattern": 6,
}


def _gemma3(text_config: dict) -> dict:
    cfg = {**_GEMMA3_DEFAULTS, **{k: v for k, v in text_config.items() if v is not None}}
    activation = cfg.get("hidden_activation") or cfg.get("hidden_act") or "gelu_pytorch_tanh"
    out = _common({**cfg, "hidden_act": activation}, "gemma3", tie_default=True)
    if cfg.get("attn_logit_softcapping") is not None:
        raise UnsupportedModel("This Gemma model caps attention logits, which Hearth cannot run yet.")
    theta, scaling, sliding_params = _rope(cfg, 1_000_000.0)
    local_theta = float(cfg["rope_local_base_freq"])
    if sliding_params:
        local_theta = float(sliding_params.get("rope_theta", local_theta))
        if _rope_scaling(sliding_params, out["max_position_embeddings"]) is not None:
            raise UnsupportedModel(
                "This Gemma model scales RoPE on its local layers, which Hearth cannot run yet."
            )
    head_dim = int(cfg["head_dim"])
    if cfg.get("layer_types"):
        types = ["sliding" if t == "sliding_attention" else "full" for t in cfg["layer_types"]]
    else:  # older config.json files: every `pattern`-th layer is global
        pattern = int(cfg["sliding_window_pattern"])
        types = ["sliding" if (i + 1) % pattern else "full" for i in range(out["num_layers"])]
    out.update({
        "head_dim": head_dim,
        "rope_theta": theta,
        "rope_local_theta": local_theta,
        "rope_scaling": scaling,  # applies to the global ("full") layers only, as in transformers
        "qk_norm": True,
        "norm_offset": 1.0,
        # transformers casts sqrt(hidden) to the weights' dtype; Hearth computes in f32.
        "embedding_scale": math.sqrt(out["hidden_size"]),
        "sandwich_norms": True,
        "sliding_window": int(cfg["sliding_window"]),
        "layer_types": types,
        "attn_scale": float(cfg["query_pre_attn_scalar"]) ** -0.5,
        "final_logit_softcap": cfg.get("final_logit_softcapping"),
    })
    if out["final_logit_softcap"] is not None:
        out["final_logit_softcap"] = float(out["final_logit_softcap"])
    return out


def normalize_hf_config(cfg: dict) -> tuple[str, dict]:
    """A Hugging Face config.json dict → (architecture, config with exactly formats.md's keys)."""
    architecture = detect_architecture(cfg)
    if architecture == "gemma3":
        if cfg.get("text_config"):  # Gemma3ForConditionalGeneration: the tie flag sits at the top
            tie = cfg.get("tie_word_embeddings", cfg["text_config"].get("tie_word_embeddings", True))
            return architecture, _gemma3({**cfg["text_config"], "tie_word_embeddings": tie})
        return architecture, _gemma3(cfg)
    out = _common(cfg, architecture, tie_default=False)
    if architecture == "llama":
        # Mistral v0.1 sets a window on every layer; v0.2+ and Llama set null or nothing.
        if cfg.get("sliding_window"):
            out["sliding_window"] = int(cfg["sliding_window"])
            out["layer_types"] = ["sliding"] * out["num_layers"]
    elif architecture == "qwen2":
        out["attention_bias"] = True  # Qwen2's q/k/v projections always carry biases
        _qwen_sliding(cfg, out)
    elif architecture == "qwen3":
        out["qk_norm"] = True
        out["head_dim"] = int(cfg.get("head_dim", 128))
        out["attn_scale"] = 1.0 / math.sqrt(out["head_dim"])
        _qwen_sliding(cfg, out)
    return architecture, out


# ---- tensor names ----

_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)$")
_TOP_LEVEL = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_PER_LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
# Llama/Qwen's post_attention_layernorm is the pre-MLP norm; Gemma 3 has four norms per block.
_NORMS = {
    "llama": {"post_attention_layernorm.weight": "ffn_norm.weight"},
    "qwen2": {"post_attention_layernorm.weight": "ffn_norm.weight"},
    "qwen3": {"post_attention_layernorm.weight": "ffn_norm.weight"},
    "gemma3": {
        "post_attention_layernorm.weight": "post_attention_norm.weight",
        "pre_feedforward_layernorm.weight": "ffn_norm.weight",
        "post_feedforward_layernorm.weight": "post_ffw_norm.weight",
    },
}
# Tensors a text-only engine does not need: RoPE tables it recomputes, Gemma 3's vision half.
_SKIPPED = re.compile(r"rotary_emb\.|(^|\.)vision_tower\.|(^|\.)multi_modal_projector\.")


def _strip_multimodal_prefix(name: str) -> str:
    # Gemma3ForConditionalGeneration: hub files say language_model.model.layers..., transformers
    # v5 state dicts say model.language_model.layers... and language_model.lm_head in between.
    if name.startswith("model.language_model."):
        return "model." + name.removeprefix("model.language_model.")
    if name.startswith("language_model."):
        return name.removeprefix("language_model.")
    return name


def hf_tensor_name(hf_name: str, architecture: str) -> str | None:
    """HF parameter name → canonical name; None for tensors to skip.

    Raises UnsupportedModel for a name it does not know, so no weight is dropped silently.
    """
    if _SKIPPED.search(hf_name):
        return None
    name = _strip_multimodal_prefix(hf_name)
    if name in _TOP_LEVEL:
        return _TOP_LEVEL[name]
    match = _LAYER.match(name)
    if match:
        layer, rest = match.groups()
        canonical = _PER_LAYER.get(rest) or _NORMS[architecture].get(rest)
        if canonical:
            return f"blk.{layer}.{canonical}"
    raise UnsupportedModel(
        f"This checkpoint has a tensor Hearth does not know ({hf_name}); try a standard {architecture} model."
    )
