"""/api/documents: the library, adding files, summaries and grounded answers in the app (docs/api.md).

dropped path → add job (extract, chunk, index; a status per file) → library → summarize job
(progress "section 4 of 19", streamed text) or ask job (answer + citations [n] → file, page,
section, quote, chunk_id) → GET …/chunks/ID shows the cited passage. The documents a conversation
asks about are its scope: follow-up questions keep them and see the last question and answer.
"""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from desktop.assistant.ask import Asker, DocumentScope
from desktop.assistant.sections import load_documents
from desktop.assistant.summarize import STYLES, Summarizer
from desktop.documents.batch import add_paths, expand
from desktop.documents.dense import DenseIndex, on_a_gpu
from desktop.documents.errors import Cancelled, DocumentError
from desktop.documents.library import Library
from desktop.errors import HearthError
from desktop.server.documents_jobs import DocumentJobNotFound, DocumentJobs
from desktop.server.documents_model import document_model
from desktop.server.local_server import BadRequest, json_body

PREFIX = "/api/documents"
ANSWER_TOKENS, SUMMARY_TOKENS = 256, 400


class DocumentNotFound(HearthError):
    http_status = 404


class Documents:
    """The server's document state: the library, its jobs, and each conversation's scope."""

    def __init__(self, server):
        self.server = server
        self.library = Library(server.store.root / "documents")
        self.dense = DenseIndex(self.library)  # BM25 + embeddings; BM25 alone (and why) without an engine
        self.jobs = DocumentJobs()
        self.scopes: dict[int, DocumentScope] = {}

    def doc_ids(self, raw) -> list[int]:
        if not isinstance(raw, list) or not raw or not all(isinstance(i, int) for i in raw):
            raise BadRequest("Send doc_ids: a list of document ids from GET /api/documents.")
        known = {d.id for d in self.library.documents()}
        missing = [i for i in raw if i not in known]
        if missing:
            raise DocumentNotFound(f"Document {missing[0]} is not in the library; reload the documents list.")
        return list(dict.fromkeys(raw))

    def scope(self, conversation_id, doc_ids: list[int]) -> DocumentScope:
        """The conversation's scope; rebuilt from its saved questions and answers after a restart."""
        if not isinstance(conversation_id, int):
            return DocumentScope(doc_ids)
        scope = self.scopes.get(conversation_id)
        if scope is None or scope.doc_ids != doc_ids:
            scope = DocumentScope(doc_ids, self._saved_turns(conversation_id))
            self.scopes[conversation_id] = scope
        return scope

    def _saved_turns(self, conversation_id: int) -> list[tuple[str, str]]:
        conversations = getattr(self.server, "conversations", None)
        if conversations is None:
            return []
        try:
            messages = conversations.get(conversation_id)["messages"]
        except HearthError:
            return []
        turns = []
        for question, answer in zip(messages, messages[1:], strict=False):
            if question["role"] == "user" and answer["role"] == "assistant" and (answer["meta"] or {}).get("documents"):
                turns.append((question["content"], answer["content"]))
        return turns


def retrieval_status(docs: Documents) -> dict:
    """{"mode": "hybrid" | "bm25", "reason"}: why answers rank by keywords alone, once that is known."""
    return {"mode": docs.dense.mode, "reason": docs.dense.unavailable}


def embedding_progress(job):
    return lambda name, done, total: job.step("embed", done, total, f"embedding {name} ({done} of {total} passages)")


def status_of(info) -> str:
    """ "ready", "missing" (the file is gone) or "changed" (re-index it): size and time, no hashing."""
    path = Path(info.path)
    if not path.is_file():
        return "missing"
    indexed = datetime.strptime(info.indexed, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    stat = path.stat()
    return "changed" if stat.st_size != info.size_bytes or stat.st_mtime > indexed + 1 else "ready"


def _rest(request) -> list[str]:
    return [unquote(p) for p in urlsplit(request.path).path[len(PREFIX) :].split("/") if p]


def _number(text: str, what: str = "document") -> int:
    if not text.isdigit():
        raise DocumentNotFound(f"'{text}' is not a {what} id; reload the documents list.")
    return int(text)


def _chunk_json(chunk) -> dict:
    return {
        "id": chunk.id,
        "doc_id": chunk.doc_id,
        "file": chunk.file,
        "name": chunk.name,
        "page": chunk.page,
        "section": " > ".join(chunk.section) or None,
        "text": chunk.text,
    }


def _get(server, request, query, body):
    docs: Documents = server.documents
    rest = _rest(request)
    if not rest:
        listed = [{**d.to_json(), "status": status_of(d)} for d in docs.library.documents()]
        return 200, {"documents": listed, "retrieval": retrieval_status(docs)}
    if rest[0] == "jobs":
        if len(rest) == 1:
            return 200, {"jobs": [j.as_dict() for j in docs.jobs.all()]}
        return 200, docs.jobs.get(rest[1]).as_dict()
    if rest[0] == "chunks" and len(rest) == 2:
        found = docs.library.chunks_by_id([_number(rest[1], "passage")])
        if not found:
            raise DocumentNotFound("That passage is no longer in the library; its document was removed or re-indexed.")
        return 200, _chunk_json(next(iter(found.values())))
    if len(rest) == 1:
        info = _document(docs, rest[0])
        return 200, {**info.to_json(), "status": status_of(info)}
    raise DocumentNotFound(f"Nothing at {request.path}; see docs/api.md.")


def _document(docs: Documents, text: str):
    try:
        return docs.library.document(_number(text))
    except DocumentError as e:
        raise DocumentNotFound(str(e)) from e


def start_add(docs: Documents, paths: list[Path], title: str):
    files, _skipped, missing = expand(paths)
    entries = [{"path": str(p), "name": p.name, "status": "failed", "message": m, "doc_id": None} for p, m in missing]
    entries += [{"path": str(p), "name": p.name, "status": "waiting", "message": None, "doc_id": None} for p in files]

    def work(job):
        first = len(missing)
        for index, path in enumerate(files, start=first):
            if job.cancel.is_set():
                break
            job.step("add", index - first + 1, len(files), f"reading {path.name} ({index - first + 1} of {len(files)})")
            job.file_status(index, "reading")
            report = add_paths(docs.library, [path], cancel=job.cancel)
            if report.cancelled:
                job.file_status(index, "cancelled")
                break
            if report.failures:
                job.file_status(index, "failed", report.failures[0][1])
            else:
                outcome = report.outcomes[0]
                job.file_status(index, outcome.status, "; ".join(outcome.notes) or None, outcome.document.id)
        added = [f["doc_id"] for f in job.files if f["doc_id"] is not None]
        try:  # on a GPU embedded now, so the first question does not wait for it
            if added and on_a_gpu():
                docs.dense.precompute(added, job.cancel, embedding_progress(job))
        except Cancelled:
            pass  # embedded at the first question instead
        return {"doc_ids": added}

    return docs.jobs.start("add", title, work, entries)


def _add(server, request, query, body):
    raw = json_body(body).get("paths")
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) and p for p in raw):
        raise BadRequest("Send paths: a list of absolute paths of files or folders.")
    paths = [Path(p).expanduser() for p in raw]
    if not all(p.is_absolute() for p in paths):
        raise BadRequest("Send absolute paths; the server does not know which folder you mean.")
    title = paths[0].name if len(paths) == 1 else f"{len(paths)} items"
    return 202, start_add(server.documents, paths, title).as_dict()


def _options(data: dict, default_tokens: int) -> tuple[int, int | None, str | None]:
    try:
        max_tokens = int(data.get("max_tokens") or default_tokens)
        context = int(data["context_size"]) if data.get("context_size") else None
    except (TypeError, ValueError) as e:
        raise BadRequest("max_tokens and context_size must be whole numbers.") from e
    return max(1, max_tokens), context, data.get("model") or None


def _summarize(server, request, query, body):
    docs: Documents = server.documents
    data = json_body(body)
    doc_ids = docs.doc_ids(data.get("doc_ids"))
    style = data.get("style") or "brief"
    if style not in STYLES:
        raise BadRequest(f"style must be one of {', '.join(STYLES)}.")
    max_tokens, context, model_id = _options(data, SUMMARY_TOKENS)
    names = ", ".join(docs.library.document(i).name for i in doc_ids)

    def work(job):
        documents = load_documents(docs.library, doc_ids)
        with document_model(server, model_id, context, job.cancel, lambda t: job.step("wait", 0, 0, t)) as model:
            summary = Summarizer(
                model,
                style=style,
                max_tokens=max_tokens,
                on_progress=lambda p: job.step(p.stage, p.step, p.total, str(p)),
                on_text=job.append,
                cancel=job.cancel,
            ).summarize(documents)
        return {**summary.as_json(), "doc_ids": doc_ids}

    return 202, docs.jobs.start("summarize", names, work).as_dict()


def _ask(server, request, query, body):
    docs: Documents = server.documents
    data = json_body(body)
    question = str(data.get("question") or "").strip()
    if not question:
        raise BadRequest("Send a question about the documents.")
    doc_ids = docs.doc_ids(data.get("doc_ids"))
    max_tokens, context, model_id = _options(data, ANSWER_TOKENS)
    scope = docs.scope(data.get("conversation_id"), doc_ids)

    def work(job):
        docs.dense.precompute(doc_ids, job.cancel, embedding_progress(job))  # any not embedded yet
        with document_model(server, model_id, context, job.cancel, lambda t: job.step("wait", 0, 0, t)) as model:
            job.step("answer", 1, 1, "reading the documents")
            asker = Asker(model, docs.library, scope, dense=docs.dense, max_tokens=max_tokens)
            answer = asker.ask(question, job.append, job.cancel)
        citations = [
            {**c, "chunk_id": answer.sources[c["n"] - 1].id, "name": answer.sources[c["n"] - 1].name}
            for c in answer.citations
        ]
        return {**answer.as_json(), "citations": citations, "doc_ids": doc_ids, "retrieval": retrieval_status(docs)}

    return 202, docs.jobs.start("ask", question[:80], work).as_dict()


def _post(server, request, query, body):
    docs: Documents = server.documents
    rest = _rest(request)
    if len(rest) == 3 and rest[0] == "jobs" and rest[2] == "cancel":
        job = docs.jobs.get(rest[1])
        job.cancel.set()
        return 200, job.as_dict()
    if len(rest) == 2 and rest[1] == "reindex":
        info = _document(docs, rest[0])
        return 202, start_add(docs, [Path(info.path)], info.name).as_dict()
    raise DocumentJobNotFound(f"Nothing to post to at {request.path}; see docs/api.md.")


def _delete(server, request, query, body):
    docs: Documents = server.documents
    rest = _rest(request)
    if len(rest) != 1:
        raise DocumentNotFound("Name the document to remove: DELETE /api/documents/ID.")
    info = _document(docs, rest[0])
    docs.library.remove(info.id)
    docs.dense.prune()
    for conversation_id, scope in list(docs.scopes.items()):
        if info.id in scope.doc_ids:
            del docs.scopes[conversation_id]
    return 200, {"deleted": info.id}


def register(server) -> None:
    """Needs the chat API (server.chat_engine) registered first: documents use its session."""
    server.documents = Documents(server)
    server.api_route("GET", PREFIX, _get)
    server.api_route("POST", PREFIX, _post)
    server.api_route("POST", f"{PREFIX}/add", _add)
    server.api_route("POST", f"{PREFIX}/summarize", _summarize)
    server.api_route("POST", f"{PREFIX}/ask", _ask)
    server.api_route("DELETE", PREFIX, _delete)
