"""The MCP server: search, answers, experts and documents for assistants and editors.

Built with the official `mcp` SDK. `kenning mcp --kb DIR` runs it over stdio for whoever holds
the files (the local principal, as the CLI); `kenning serve` mounts it at `/mcp` as streamable
HTTP (`MCPEndpoint`), behind the same API keys, rate limit and groups as the HTTP API. Every
tool and resource reads through `QAService.for_principal(...)`, so an MCP caller sees exactly
what the same key sees over `/v1`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import (
    ListResourcesResult,
    PaginatedRequestParams,
    Resource,
    ToolAnnotations,
)
from pydantic import Field
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from kenning.access import Authenticator
from kenning.api.limits import error_text, refusal
from kenning.api.models import MAX_K
from kenning.config import Principal
from kenning.errors import KenningError
from kenning.qa.service import QAService
from kenning.schema import Filters

# Where the endpoint leaves the authenticated principal in the ASGI scope's state.
PRINCIPAL_KEY = "kenning_principal"
DOCUMENT_URI = "kenning://documents/{document_id}"
RESOURCES_PAGE = 200
INSTRUCTIONS = (
    "Kenning answers questions from an organisation's own documents, meeting notes and "
    "transcripts, with citations, and names the people who know. Use `ask` for a cited answer, "
    "`search` for passages, `experts` for who to ask, and `get_document` (or the "
    "kenning://documents/{id} resources) to read a document the results point to."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)

K = Annotated[int, Field(ge=1, le=MAX_K, description="How many passages to retrieve.")]
Kinds = Annotated[
    list[str] | None,
    Field(description="Only these kinds: document, meeting, transcript, retrospective."),
]
Team = Annotated[str | None, Field(description="Only documents of this team.")]
Person = Annotated[str | None, Field(description="Only documents this person has a role on.")]


class KenningMCP(MCPServer):
    """An `MCPServer` whose resource list is the caller's readable documents.

    Args:
        service_for: the answering service for a request's context, bound to its caller.
    """

    def __init__(self, service_for: Callable[[ServerRequestContext[Any]], QAService]) -> None:
        super().__init__("kenning", instructions=INSTRUCTIONS, version="0.1.0")
        self.service_for = service_for

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        # Documents are listed per caller (the SDK's static list would show everyone the same).
        offset = int(params.cursor) if params and params.cursor and params.cursor.isdigit() else 0
        total, documents = self.service_for(ctx).reader.documents(None, RESOURCES_PAGE, offset)
        resources = [
            Resource(
                uri=DOCUMENT_URI.format(document_id=d["id"]), name=d["id"],
                title=d.get("title") or d["id"], mime_type="text/markdown",
                description=f"{d.get('kind', 'document')}: {d.get('source', '')}",
            )
            for d in documents
        ]  # fmt: skip
        after = offset + len(documents)
        return ListResourcesResult(
            resources=resources, next_cursor=str(after) if after < total else None
        )


def create_mcp_server(service: QAService) -> KenningMCP:
    """The MCP server over one answering service.

    Over HTTP, each request carries the principal `MCPEndpoint` authenticated; without one
    (stdio), the service is used as given.

    Args:
        service: the knowledge base's answering service.

    Returns:
        The server, with its tools and the document resource template registered.
    """

    def service_for(ctx: ServerRequestContext[Any] | None) -> QAService:
        request = ctx.request if ctx is not None else None
        state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
        principal: Principal | None = state.get(PRINCIPAL_KEY)
        return service if principal is None else service.for_principal(principal)

    server = KenningMCP(service_for)

    def scoped(ctx: Context) -> QAService:
        return service_for(ctx.request_context)

    @server.tool(annotations=READ_ONLY)
    def search(
        query: Annotated[str, Field(min_length=1, description="Question or keywords.")],
        ctx: Context,
        k: K = 5,
        kind: Kinds = None,
        team: Team = None,
        person: Person = None,
    ) -> dict[str, Any]:
        """Find the passages that best match a query, among the documents you may read.

        Each hit has its document id, title, source, location (heading, page or time range),
        the passage text and, for transcripts, the speakers.
        """
        filters = Filters(kind=tuple(kind or ()), team=team, person=person)
        retrieval = _run(lambda: scoped(ctx).retrieve(query, k=k, filters=filters))
        return {"hits": [hit.to_dict() for hit in retrieval.hits]}

    @server.tool(annotations=READ_ONLY)
    def ask(
        question: Annotated[str, Field(min_length=1, description="A question in plain language.")],
        ctx: Context,
        k: K = 5,
    ) -> dict[str, Any]:
        """Answer a question from the knowledge base, with numbered citations and who to ask.

        The answer cites its passages as [n]; `citations` holds them (document id, title,
        source, location, text). `experts` names the people most likely to know, with reasons.
        When nothing answers the question, `abstained` is true and no answer is made up.
        """
        response = _run(lambda: scoped(ctx).ask(question, k=k))
        return response.to_dict()

    @server.tool(annotations=READ_ONLY)
    def experts(
        topic: Annotated[str, Field(min_length=1, description="A topic or question.")],
        ctx: Context,
        k: Annotated[int, Field(ge=1, le=MAX_K, description="How many people.")] = 5,
    ) -> dict[str, Any]:
        """The people most likely to know about a topic: owners, authors, presenters and
        speakers of the matching documents, each with a score, reasons and evidence."""
        return {"experts": [e.to_dict() for e in _run(lambda: scoped(ctx).experts(topic, k))]}

    @server.tool(annotations=READ_ONLY)
    def get_document(
        document_id: Annotated[str, Field(description="A document id from a hit or citation.")],
        ctx: Context,
        chunk_id: Annotated[
            str | None, Field(description="Only this passage of the document (a chunk id).")
        ] = None,
    ) -> dict[str, Any]:
        """Read a document (metadata, people and passages) or one of its passages by id.

        Only documents you may read are found; any other id is answered as unknown.
        """
        document = _run(lambda: scoped(ctx).reader.document(document_id))
        if chunk_id is None:
            return document
        for chunk in document["chunks"]:
            if chunk["id"] == chunk_id:
                return {"document_id": document_id, "title": document.get("title"), **chunk}
        raise ToolError(f"document {document_id!r} has no passage {chunk_id!r}")

    @server.resource(DOCUMENT_URI, name="document", mime_type="text/markdown")
    def document(document_id: str, ctx: Context) -> str:
        """A readable document as Markdown: its title, source, people and passages."""
        try:
            found = scoped(ctx).reader.document(document_id)
        except KenningError as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        return render_document(found)

    return server


def _run(call: Callable[[], Any]) -> Any:
    """Run a service call, reporting Kenning's own errors to the client as tool errors."""
    try:
        return call()
    except KenningError as exc:
        raise ToolError(str(exc)) from exc


def render_document(document: dict[str, Any]) -> str:
    """A document from `ScopedReader.document` as Markdown."""
    lines = [f"# {document.get('title') or document['id']}", ""]
    meta = {key: document.get(key) for key in ("source", "kind", "team", "updated")}
    lines += [f"- {key}: {value}" for key, value in meta.items() if value]
    people = sorted({f"{p.get('name')} ({p.get('role')})" for p in document.get("people", [])})
    if people:
        lines.append(f"- people: {', '.join(people)}")
    for chunk in document.get("chunks", []):
        lines += ["", f"## {chunk['location']}" if chunk.get("location") else "", chunk["text"]]
    return "\n".join(lines).strip() + "\n"


class MCPEndpoint:
    """`/mcp` on the HTTP server: the MCP server as streamable HTTP, behind the API's keys.

    A request is authenticated and counted against the rate limit as any API request is
    (401/429 in the API's JSON shape otherwise); its principal rides in the ASGI scope to the
    tools, which read through `QAService.for_principal`. The SDK's session manager runs
    stateless (each request stands alone, as the API's do) inside the app's lifespan.

    Args:
        service: the knowledge base's answering service.
        auth: the API's authenticator.
    """

    def __init__(self, service: QAService, auth: Authenticator) -> None:
        self.server = create_mcp_server(service)
        self.auth = auth
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session manager (a new one per app start: the SDK's runs only once)."""
        # Hosts and origins are checked by the app's own middleware (KENNING_ALLOWED_HOSTS).
        self.server.streamable_http_app(
            streamable_http_path="/", stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )  # fmt: skip
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._manager is None:
            await refusal(503, "the MCP endpoint is not running", "unavailable")(
                scope, receive, send
            )
            return
        request = Request(scope)
        try:
            principal = self.auth.authenticate(request)
            self.auth.check_rate(principal, request)
        except KenningError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
            if getattr(exc, "retry_after", None) is not None:
                headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
            await refusal(exc.status, error_text(exc, request.headers), type(exc).__name__,
                          headers, exc.key)(scope, receive, send)  # fmt: skip
            return
        scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        await self._manager.handle_request(scope, receive, send)

