"""`hearth ask --json` end to end with the real default model (SmolLM2 on the native host): a two-page
PDF built here, the fact on page 2. SmolLM2 is weak and lavapipe slow, so the document is tiny, the
answer short, and the test asserts structure: an answer, and citations that point at page 2."""

import json
import os
import subprocess
import sys

from tests.documents.make_docs import write_pdf
from tests.engine.smollm2 import smollm2_store  # noqa: F401 - fixture

FACT = "Orla Vance painted the lighthouse tower crimson."


def test_hearth_ask_json_cites_the_page_with_the_fact(smollm2_store, tmp_path):  # noqa: F811
    pdf = write_pdf(tmp_path / "tower.pdf", [("Minutes", ["The council met on Monday."]), ("Harbour", [FACT])])
    env = {**os.environ, "HEARTH_HOME": str(smollm2_store.root)}  # already holds the imported model
    question = "Who painted the lighthouse tower crimson?"
    cmd = [sys.executable, "-m", "desktop.cli.main", "ask", str(pdf), "--question", question]
    done = subprocess.run(cmd + ["--max-tokens", "12", "--json"], env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout holds the JSON document and nothing else
    assert set(result) >= {"answer", "citations"} and result["answer"].strip()
    assert result["citations"], "an answer always comes with sources to show"
    for citation in result["citations"]:
        assert set(citation) >= {"n", "file", "page", "section", "quote"}
        assert citation["file"] == str(pdf.resolve())
    top = result["citations"][0]
    assert top["page"] == 2 and top["section"] == "Harbour" and top["quote"] == FACT
    # the file joined the library under HEARTH_HOME, like `hearth docs add` would have added it
    listed = subprocess.run(
        [sys.executable, "-m", "desktop.cli.main", "docs", "list", "--json"], env=env, capture_output=True, text=True
    )
    assert [d["name"] for d in json.loads(listed.stdout)] == ["tower.pdf"]


def test_hearth_ask_json_cites_the_page_of_a_paraphrased_fact(smollm2_store, tmp_path):  # noqa: F811
    """The question shares no keyword with its answer on page 2 ("inaugurated the span across the
    ravine" / "bridge ... opened"): BM25 alone ranks another page first; the embeddings find it."""
    from desktop.documents.library import Library
    from desktop.documents.retrieval import search
    from desktop.documents.tokens import approximate_counter
    from tests.documents.make_docs import HYBRID_PAGES

    pages = [page for page in HYBRID_PAGES if page[0] in ("Harbour", "Bridge", "Ferry")]
    pdf = write_pdf(tmp_path / "town.pdf", [(heading, [f"{fact} {aside}"]) for heading, fact, aside in pages])
    question = "Who inaugurated the span across the ravine?"
    keywords_only = Library(tmp_path / "bm25-library", token_counter=approximate_counter())
    keywords_only.add(pdf)
    assert search(question, k=1, library=keywords_only)[0].page != 2  # the test would pass without embeddings

    env = {**os.environ, "HEARTH_HOME": str(smollm2_store.root)}
    cmd = [sys.executable, "-m", "desktop.cli.main", "ask", str(pdf), "--question", question]
    done = subprocess.run(cmd + ["--max-tokens", "12", "--json"], env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "embedding town.pdf for search: 3 of 3 passages" in done.stderr  # embedded lazily, said on stderr
    top = result["citations"][0]
    assert top["page"] == 2 and top["section"] == "Bridge" and "Tomasz Grell" in top["quote"], result
