"""all-MiniLM-L6-v2 on Hearth's engine vs transformers' BertModel on CPU with mean pooling + L2 norm."""

import numpy as np
import pytest

from desktop.importers.bert_import import embedded_model_folder
from engine.embeddings import pack

SENTENCES = [
    "The cat sat on the mat.",
    "How do I reset my password?",
    "Où se trouve la gare la plus proche ?",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "東京は日本の首都です。",
    "ok",
]


def reference_embeddings(texts: list[str]) -> np.ndarray:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = str(embedded_model_folder())
    model = transformers.BertModel.from_pretrained(folder).eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1).numpy()


def test_embeddings_match_transformers(embedder):
    got = embedder.embed(SENTENCES)
    ref = reference_embeddings(SENTENCES)
    assert got.shape == (len(SENTENCES), 384) and got.dtype == np.float32
    cosine = (got * ref).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(ref, axis=1)
    assert cosine.min() > 0.999, f"cosine per sentence: {cosine}"
    assert np.abs(got - ref).max() < 1e-3
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_texts_are_truncated_to_256_tokens(embedder):
    (encoding,) = embedder.tokenize(["word " * 400])
    assert len(encoding.ids) == 256
    assert encoding.ids[0] == 101 and encoding.ids[-1] == 102  # [CLS] ... [SEP] survive truncation


class FakeEncoding:
    def __init__(self, n):
        self.ids = [0] * n


def test_pack_keeps_order_and_respects_rows_and_sequence_slots():
    encodings = [FakeEncoding(n) for n in (100, 100, 60, 5, 5, 5, 256)]
    batches = pack(encodings, rows=256, sequences=3)
    assert batches == [[0, 1], [2, 3, 4], [5], [6]]
    for batch in batches:
        assert sum(len(encodings[i].ids) for i in batch) <= 256 and len(batch) <= 3


def test_the_gpu_mapping_gives_the_same_embeddings(embedder, embedding_model_store):
    """The plan a real GPU gets (1024 rows, 64 texts, 128-wide workgroups) run here on lavapipe."""
    from engine.embeddings import Embedder
    from engine.plan.adapter import traits_for

    gpu_embedder = Embedder(store=embedding_model_store, traits=traits_for("gpu"))
    assert (gpu_embedder.plan["rows"], gpu_embedder.plan["sequences"]) == (1024, 64)
    texts = SENTENCES[:2]
    assert np.abs(gpu_embedder.embed(texts) - embedder.embed(texts)).max() < 1e-5
