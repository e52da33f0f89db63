"""POST /api/engine/load {"model", "context"}: loads a model on the native host ahead of the first
message, as a job (kind "load") whose bytes are the weights uploaded to the GPU so far, so the
window shows a load progress bar with GB/s instead of a first answer that waits in silence.

The job runs under the chat engine's generation lock (a load waits for an answer in progress) and
leaves the session loaded, so a chat request with the same model and context starts at once.
"""

from desktop.server.chat_engine import DEFAULT_CONTEXT, ChatEngine
from desktop.server.local_server import BadRequest, json_body


def _context(data: dict) -> int:
    try:
        return int(data.get("context") or DEFAULT_CONTEXT)
    except (TypeError, ValueError) as e:
        raise BadRequest("context must be a whole number of tokens.") from e


def _load(server, request, query, body):
    engine: ChatEngine = server.chat_engine
    data = json_body(body)
    model_id = str(data.get("model") or "") or engine.default_model()
    server.store.manifest(model_id)  # an unknown model is a 404 now, not a failed job later
    context = _context(data)
    title = f"{model_id} ({context} tokens)"
    running = server.jobs.running("load", title)
    if running:
        return 202, running.as_dict()

    def work(job) -> str:
        job.set_phase("load")
        with engine.generation_lock:
            job.set_phase("load")  # cancelled while waiting for an answer: stop before loading
            session = engine.session_for(
                model_id, context, on_progress=lambda done, total: job.progress(model_id, done, total)
            )
        if not job.files:  # it was loaded already: the bar is full at once
            size = _weight_bytes(session)
            job.progress(model_id, size, size)
        return model_id

    return 202, server.jobs.start("load", title, work).as_dict()


def _weight_bytes(session) -> int:
    plan = getattr(session, "plan", None)
    if not plan:
        return 0
    from engine.native.host import weight_bytes

    return weight_bytes(plan)


def register(server) -> None:
    """Needs the chat API (server.chat_engine) and the jobs of the models API (server.jobs)."""
    server.api_route("POST", "/api/engine/load", _load)
