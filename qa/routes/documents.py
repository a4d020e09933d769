"""`/v1/documents`: list, read, delete and upload documents."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import StringConstraints

from kenning.ingest.parsers import suffix_of, supported_suffixes
from kenning.qa.deps import AdminKbDep, ServiceDep
from kenning.schema import KINDS, Filters

router = APIRouter(prefix="/v1/documents", tags=["documents"])
UPLOAD_FOLDER = "uploads"
CHUNK_BYTES = 1 << 20
GroupName = Annotated[str, StringConstraints(pattern=r"^[\w.@-]{1,100}$")]
MAX_OFFSET = 1_000_000_000  # SQLite integers are 64-bit; larger offsets are 422, not 500
# Served with their own type; every other source (HTML included) is sent as plain text, so
# an ingested page can never run script on the API's origin.
BINARY_MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def safe_name(name: str) -> str:
    """A file name with no folders, no leading dots and only plain characters."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    if not base:
        raise ValueError(f"unusable file name {name!r}")
    return base[:200]


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
            raise ValueError(f"unknown kind {value!r}; valid kinds: {', '.join(KINDS)}")
    filters = Filters(kind=tuple(kind or ()), tags=tuple(tag or ()), team=team, person=person)
    total, documents = service.documents(filters, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "documents": documents}


@router.get("/{document_id}")
def get_document(document_id: str, service: ServiceDep) -> dict[str, object]:
    """A document's metadata, people and chunks (404 when the caller may not read it)."""
    return service.document(document_id)


@router.get("/{document_id}/source", response_class=FileResponse)
def get_source(document_id: str, service: ServiceDep) -> FileResponse:
    """The stored source file of a document (text formats as plain text)."""
    path = service.source_path(document_id)
    media_type = BINARY_MEDIA_TYPES.get(path.suffix.lower(), "text/plain; charset=utf-8")
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
    kb: AdminKbDep,
    files: Annotated[list[UploadFile], File(description="Files to ingest.")],
    groups: Annotated[
        list[GroupName] | None,
        Form(description="Groups allowed to read the files (default: all).", max_length=50),
    ] = None,
) -> dict[str, object]:
    """Upload one or more files; they are stored in the knowledge base folder and ingested."""
    if len(files) > kb.settings.max_upload_files:
        raise ValueError(
            f"files: {len(files)} files in one upload; at most {kb.settings.max_upload_files} "
            "(KENNING_MAX_UPLOAD_FILES)"
        )
    folder = Path(kb.settings.home) / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    limit = int(kb.settings.max_file_mb * 1024 * 1024)
    allowed = supported_suffixes()
    paths: list[Path] = []
    rejected: list[dict[str, str]] = []
    for upload in files:
        try:
            name = safe_name(upload.filename or "")
        except ValueError as exc:
            rejected.append({"path": upload.filename or "", "status": "failed", "reason": str(exc)})
            continue
        if suffix_of(Path(name)) not in allowed:
            rejected.append({"path": name, "status": "failed", "reason":
                             f"file type '{suffix_of(Path(name))}' is not accepted; accepted: "
                             f"{' '.join(allowed)}"})  # fmt: skip
            continue
        target = folder / name
        size = 0
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, prefix=".upload-") as tmp:
            while chunk := upload.file.read(CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    break
                tmp.write(chunk)
        if size > limit:
            Path(tmp.name).unlink(missing_ok=True)
            rejected.append({"path": name, "status": "failed",
                             "reason": f"over the {kb.settings.max_file_mb:g} MB limit"})
            continue
        Path(tmp.name).replace(target)
        paths.append(target)
    report = kb.ingest(paths, groups=groups).to_dict() if paths else {"files": [], "counts": {}}
    report["files"] = rejected + report["files"]
    return report
