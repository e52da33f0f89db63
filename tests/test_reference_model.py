"""The numpy reference model against Hugging Face transformers on tiny random models (CPU, f32).

Each case builds a randomly initialised transformers model, maps its state dict through
hf_tensor_name and its config through normalize_hf_config, and compares logits over a
20-token prompt and a 7-token second turn that reuses the reference's KV cache.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from desktop.importers.hf_config import hf_tensor_name, normalize_hf_config  # noqa: E402
from tests.reference_model import ReferenceModel  # noqa: E402

TINY = dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
            rms_norm_eps=1e-5, attn_implementation="eager")
PROMPT_LENGTH, TURN_LENGTH = 20, 7


def _config(kind: str):
    c = transformers
    if kind == "llama3-rope":
        # original context 16 puts head_dim 16's frequencies in all three llama3 bands
        scaling = {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 16}
        return c.LlamaConfig(**TINY, rope_theta=10000.0, rope_scaling=scaling), c.LlamaForCausalLM
    if kind == "llama-tied-linear":
        linear = {"rope_type": "linear", "factor": 3.0}
        return (c.LlamaConfig(**TINY, tie_word_embeddings=True, rope_scaling=linear),
                c.LlamaForCausalLM)
    if kind == "mistral-window":
        return c.MistralConfig(**TINY, sliding_window=6), c.MistralForCausalLM
    if kind == "qwen2":
        return c.Qwen2Config(**TINY, tie_word_embeddings=True), c.Qwen2ForCausalLM
    if kind == "qwen3":
        return c.Qwen3Config(**TINY, head_dim=24), c.Qwen3ForCausalLM
    if kind == "gemma3":
        config = c.Gemma3TextConfig(
            **TINY, head_dim=24, query_pre_attn_scalar=20, sliding_window=5,
            layer_types=["sliding_attention", "full_attention", "sliding_attention"],
            final_logit_softcapping=4.0, rope_theta=500.0, rope_local_base_freq=50.0,
            rope_scaling={"rope_type": "linear", "factor": 2.0},
        )
        return config, c.Gemma3ForCausalLM
    raise ValueError(kind)


def _tiny_model(kind: str):
    torch.manual_seed(sum(map(ord, kind)))
    config, model_class = _config(kind)
    model = model_class(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.ndim == 2:
                param.normal_(0.0, 0.15)
            elif name.endswith("bias"):
                param.normal_(0.0, 0.5)  # non-zero biases, or attention_bias would go untested
            else:  # norm weights: random around their neutral value so w vs 1+w matters
                param.add_(torch.randn_like(param) * 0.3)
    return model


def _config_and_weights(model) -> tuple[dict, dict]:
    architecture, config = normalize_hf_config(model.config.to_dict())
    weights = {}
    for hf_name, tensor in model.state_dict().items():
        name = hf_tensor_name(hf_name, architecture)
        if name is not None:
            weights[name] = tensor.detach().float().numpy().copy()
    if config["tie_word_embeddings"]:
        weights.pop("output.weight", None)  # tied checkpoints have no lm_head; prove it is not read
    return config, weights


def _reference(model) -> ReferenceModel:
    return ReferenceModel(*_config_and_weights(model))


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def _tokens(seed: int) -> list[int]:
    return np.random.default_rng(seed).integers(0, 300, PROMPT_LENGTH + TURN_LENGTH).tolist()


@pytest.mark.parametrize("kind", ["llama3-rope", "llama-tied-linear", "mistral-window", "qwen2", "qwen3",
                                  "gemma3"])
def test_reference_matches_transformers_over_two_turns(kind):
    model = _tiny_model(kind)
    tokens = _tokens(len(kind))
    with torch.no_grad():
        expected = model(torch.tensor([tokens])).logits[0].float().numpy()  # [T, V]
    assert expected.std() > 0.3, "logits too flat to compare"

    reference = _reference(model)
    first = reference.forward(tokens[:PROMPT_LENGTH])
    second = reference.forward(tokens[PROMPT_LENGTH:])  # reuses the cache from the first turn

    assert first.shape == (PROMPT_LENGTH, 300) and second.shape == (TURN_LENGTH, 300)
    assert _relative_error(first, expected[:PROMPT_LENGTH]) < 1e-4
    assert _relative_error(second, expected[PROMPT_LENGTH:]) < 1e-4

    reference.reset()
    again = reference.forward(tokens[:PROMPT_LENGTH])
    np.testing.assert_allclose(again, first, rtol=0, atol=1e-6)


def test_sliding_window_changes_gemma3_logits_beyond_the_window():
    # guards the window test above: with a window larger than the prompt the logits must differ
    model = _tiny_model("gemma3")
    tokens = _tokens(1)
    config, weights = _config_and_weights(model)
    windowed = ReferenceModel(config, weights).forward(tokens)
    wide = ReferenceModel({**config, "sliding_window": 1000}, weights).forward(tokens)
    window = config["sliding_window"]
    np.testing.assert_allclose(windowed[:window], wide[:window], atol=1e-5)  # the window covers them
    assert _relative_error(windowed[window:], wide[window:]) > 1e-2


def _permute_like_llama_cpp(w: np.ndarray, heads: int) -> np.ndarray:
    # convert_hf_to_gguf.py's LlamaModel.permute: rows (i, i + D/2) of each head become (2i, 2i+1)
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def test_adjacent_pairing_with_llama_cpp_permuted_rows_equals_half_pairing():
    model = _tiny_model("llama3-rope")
    config, weights = _config_and_weights(model)
    half = ReferenceModel(config, dict(weights))
    config = {**config, "rope_pairing": "adjacent"}
    for i in range(config["num_layers"]):
        weights[f"blk.{i}.attn_q.weight"] = _permute_like_llama_cpp(weights[f"blk.{i}.attn_q.weight"],
                                                                    config["num_heads"])
        weights[f"blk.{i}.attn_k.weight"] = _permute_like_llama_cpp(weights[f"blk.{i}.attn_k.weight"],
                                                                    config["num_kv_heads"])
    adjacent = ReferenceModel(config, weights)
    tokens = _tokens(3)
    expected = half.forward(tokens)
    assert _relative_error(adjacent.forward(tokens), expected) < 1e-5
    # and the permutation matters: adjacent pairing on unpermuted rows gives other logits
    unpermuted = ReferenceModel(config, _config_and_weights(model)[1])
    assert _relative_error(unpermuted.forward(tokens), expected) > 1e-3
