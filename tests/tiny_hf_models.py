"""Tiny randomly initialised Hugging Face checkpoints (saved with save_pretrained) for importer tests.

Shapes are small but not all multiples of 32 (intermediate_size 80 → ffn_down has K=80), so the
importer's f16 fallback is exercised next to q4 and q8.
"""

import json
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VOCAB_SIZE = 320


def write_tokenizer(folder: Path) -> None:
    """A byte-level BPE trained on a few sentences, plus a tokenizer_config.json with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    corpus = ["Hearth runs language models offline on your own GPU.", "Name three colors: red, green, blue."]
    tokenizer.train_from_iterator(corpus * 20, trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE, "tokenizer_class": "PreTrainedTokenizerFast",
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")


def _config(architecture: str):
    import transformers

    shared = dict(
        vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=80, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        bos_token_id=None, eos_token_id=2, pad_token_id=0,
    )
    if architecture == "llama":
        return transformers.LlamaForCausalLM, transformers.LlamaConfig(**shared, tie_word_embeddings=False)
    if architecture == "qwen2":
        return transformers.Qwen2ForCausalLM, transformers.Qwen2Config(**shared, tie_word_embeddings=True)
    if architecture == "qwen3":
        return transformers.Qwen3ForCausalLM, transformers.Qwen3Config(
            **shared, head_dim=32, tie_word_embeddings=True
        )
    if architecture == "gemma3":
        return transformers.Gemma3ForCausalLM, transformers.Gemma3TextConfig(
            **shared, head_dim=32, query_pre_attn_scalar=32, sliding_window=16, tie_word_embeddings=True,
        )
    if architecture == "gpt2":
        return transformers.GPT2LMHeadModel, transformers.GPT2Config(
            vocab_size=VOCAB_SIZE, n_embd=64, n_layer=1, n_head=4, n_positions=64,
        )
    raise ValueError(architecture)


def write_model(folder: Path, architecture: str, dtype: str = "float32", seed: int = 0,
                max_shard_size: str | None = None, tokenizer: bool = True) -> dict:
    """Saves a tiny random model; returns its state dict as float32 numpy arrays by HF name."""
    import torch

    torch.manual_seed(seed)
    model_class, config = _config(architecture)
    model = model_class(config).eval()
    with torch.no_grad():  # norms start at exactly 1 (or 0 for Gemma); randomise them too
        for p in model.parameters():
            if p.ndim == 1:
                p.add_(torch.randn_like(p) * 0.1)
    model = model.to(getattr(torch, dtype))
    kwargs = {"max_shard_size": max_shard_size} if max_shard_size else {}
    model.save_pretrained(folder, **kwargs)
    if tokenizer:
        write_tokenizer(folder)
    return {name: t.detach().float().numpy() for name, t in model.state_dict().items()}
