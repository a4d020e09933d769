"""`/v1/documents`: list, read, delete and upload documents."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import StringConstraints

from kenning.api.deps import ServiceDep
from kenning.errors import InvalidRequest
from kenning.schema import KINDS, Filters
from kenning.ui.catalogues import best_language

router = APIRouter(prefix="/v1/documents", tags=["documents"])
GroupName = Annotated[str, StringConstraints(pattern=r"^[\w.@-]{1,100}$")]
MAX_OFFSET = 1_000_000_000  # SQLite integers are 64-bit; larger offsets are 422, not 500
# Served with their own type; every other source (HTML included) is sent as plain text, so
# an ingested page can never run script on the API's origin.
BINARY_MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


@router.get("")
def list_documents(
    service: ServiceDep,
    kind: Annotated[list[str] | None, Query()] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    team: str | None = None,
    person: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, object]:
    """A page of documents, newest first, with owners and review dates."""
    for value in kind or []:
        if value not in KINDS:
            raise InvalidRequest(key="kind_unknown", kind=value, valid=", ".join(KINDS))
    filters = Filters(kind=tuple(kind or ()), tags=tuple(tag or ()), team=team, person=person)
    total, documents = service.reader.documents(filters, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "documents": documents}


@router.get("/{document_id}")
def get_document(document_id: str, service: ServiceDep) -> dict[str, object]:
    """A document's metadata, people and chunks (404 when the caller may not read it)."""
    return service.reader.document(document_id)


@router.get("/{document_id}/source", response_class=FileResponse)
def get_source(document_id: str, service: ServiceDep) -> FileResponse:
    """The stored source file of a document: text formats as plain text, a recording as
    audio or video (so the browser's player opens it, at `#t=SECONDS` when a citation links
    there)."""
    path = service.reader.source_path(document_id)
    guessed = mimetypes.guess_type(path.name)[0] or ""
    media_type = BINARY_MEDIA_TYPES.get(path.suffix.lower()) or (
        guessed if guessed.startswith(("audio/", "video/")) else "text/plain; charset=utf-8")
    return FileResponse(
        path, media_type=media_type, filename=path.name, content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )  # fmt: skip


@router.delete("/{document_id}")
def delete_document(document_id: str, service: ServiceDep) -> dict[str, object]:
    """Delete a document and its chunks (admin keys only)."""
    service.delete(document_id)
    return {"deleted": document_id}


@router.post("")
def upload_documents(
    service: ServiceDep,
    files: Annotated[list[UploadFile], File(description="Files to ingest.")],
    groups: Annotated[
        list[GroupName] | None,
        Form(description="Groups allowed to read the files (default: all).", max_length=50),
    ] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    """Upload one or more files (admin keys only); they are stored in the knowledge base
    folder and ingested, and the report names each file refused and why (its advice in the
    language `Accept-Language` prefers)."""
    uploads = [(upload.filename or "", upload.file) for upload in files]
    return service.ingest_uploads(uploads, groups=groups,
                                  lang=best_language(accept_language)).to_dict()  # fmt: skip
