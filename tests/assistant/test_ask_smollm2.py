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
