"""POST /api/app/open-dialog through the real Bridge, its window scripted: which native dialog each kind
opens (the documents picker filters to the formats Hearth reads), and what the page gets back."""

from pathlib import Path

import webview
from webview.util import parse_file_type

from desktop.app import Bridge
from desktop.documents.detect import extension_kind


class ScriptedWindow:
    """Stands in for pywebview's Window: records each dialog asked for and answers with what the user "picked"."""

    def __init__(self, picked):
        self.picked = picked
        self.dialogs: list[dict] = []

    def create_file_dialog(self, dialog_type, allow_multiple=False, file_types=()):
        self.dialogs.append({"type": dialog_type, "multiple": allow_multiple, "file_types": file_types})
        return self.picked


def _bridge(picked) -> Bridge:
    bridge = Bridge()
    bridge._window = ScriptedWindow(picked)  # attach() would also hook pywebview's drop handling, not needed here
    return bridge


def test_documents_kind_opens_a_multi_select_dialog_filtered_to_readable_documents(start_server, tmp_path):
    picked = (str(tmp_path / "report.pdf"), str(tmp_path / "notes.md"))
    bridge = _bridge(picked)
    client = start_server(bridge=bridge).client
    answer = client.post("/api/app/open-dialog", json={"kind": "documents"})
    assert answer.status_code == 200 and answer.json() == {"paths": list(picked)}
    [dialog] = bridge._window.dialogs
    assert dialog["type"] == webview.FileDialog.OPEN and dialog["multiple"] is True
    filters = [parse_file_type(t) for t in dialog["file_types"]]  # raises on a filter pywebview would refuse
    documents, everything = filters
    patterns = documents[1].split(";")
    for suffix in (".pdf", ".docx", ".epub", ".html", ".md", ".txt"):
        assert f"*{suffix}" in patterns and extension_kind(Path(f"x{suffix}")) is not None
    assert "*.gguf" not in patterns and everything == ("All files", "*.*")


def test_model_kinds_still_open_the_model_dialogs_and_a_cancel_is_no_paths(start_server):
    bridge = _bridge(None)  # the user cancelled every dialog
    client = start_server(bridge=bridge).client
    assert client.post("/api/app/open-dialog", json={"kind": "file"}).json() == {"paths": []}
    assert client.post("/api/app/open-dialog", json={"kind": "folder"}).json() == {"paths": []}
    model_file, folder = bridge._window.dialogs
    assert parse_file_type(model_file["file_types"][0])[1] == "*.gguf"
    assert folder["type"] == webview.FileDialog.FOLDER


def test_an_unknown_kind_is_refused_with_the_kinds_that_exist(start_server):
    bridge = _bridge(["/tmp/x"])
    client = start_server(bridge=bridge).client
    answer = client.post("/api/app/open-dialog", json={"kind": "pictures"})
    assert answer.status_code == 400 and '"documents"' in answer.json()["error"]
    assert bridge._window.dialogs == []
