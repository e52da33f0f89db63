"""/api/app/*: the window's native services (desktop.app.Bridge) for the page, over the local server.

pywebview's js_api answers JS through eval(), which Hearth's Content-Security-Policy forbids, so
the page asks here instead (same origin, same key):
  POST /api/app/open-dialog {"kind": "file" | "folder" | "documents"} → {"paths": [...]}
  POST /api/app/dropped-paths {"names": [...]}          → {"paths": [...]}
  GET  /api/app/info                                    → {"platform", "gui", "home"}
"""

from desktop.server.local_server import BadRequest, json_body

DIALOG_KINDS = ("file", "folder", "documents")  # desktop.app.Bridge.open_model_dialog opens each


def register(server, bridge) -> None:
    def open_dialog(server, request, query, body):
        kind = json_body(body).get("kind", "file")
        if kind not in DIALOG_KINDS:
            raise BadRequest('kind must be "file", "folder" or "documents".')
        return 200, bridge.open_model_dialog(kind)

    def dropped(server, request, query, body):
        names = json_body(body).get("names")
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise BadRequest("names must be a list of the dropped files' names.")
        return 200, bridge.dropped_paths(names)

    server.api_route("POST", "/api/app/open-dialog", open_dialog)
    server.api_route("POST", "/api/app/dropped-paths", dropped)
    server.api_route("GET", "/api/app/info", lambda server, request, query, body: (200, bridge.app_info()))
