"""An export through the normal pipeline: each of its documents hashed, skipped when
unchanged, else prepared (people, kind, chunks) as a file's document is."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path

from kenning.errors import ParseError
from kenning.ingest.exports import parse_export
from kenning.ingest.pipeline import IngestContext, Prepared, fingerprint, prepare
from kenning.ingest.sink import DocumentSink
from kenning.schema import FileReport, ParsedDocument

logger = logging.getLogger(__name__)


def content_bytes(parsed: ParsedDocument) -> bytes:
    """What an export's document is made of, as bytes to hash: a thread that gained a reply
    changes; one that did not, does not."""
    data = {"title": parsed.title, "meta": parsed.meta,
            "blocks": [asdict(block) for block in parsed.blocks]}  # fmt: skip
    return json.dumps(data, sort_keys=True, default=str).encode("utf-8")


def prepare_export(
    path: Path, sink: DocumentSink, context: IngestContext
) -> list[tuple[Prepared | None, FileReport]]:
    """Every document of an export with its report line; None for unchanged or failed ones.

    Args:
        path: the export folder or zip.
        sink: where the documents go (asked for the stored content hashes).
        context: the ingest's context.
    """
    try:
        documents = parse_export(path)
    except (ParseError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, ParseError) else str(exc)
        return [(None, FileReport(str(path), "failed", reason))]
    results: list[tuple[Prepared | None, FileReport]] = []
    for parsed in documents:
        try:
            content_hash = fingerprint(content_bytes(parsed), (), context)
            stored = sink.content_hash(parsed.source)  # by the document's own source
            if stored and stored[1] == content_hash:
                results.append((None, FileReport(parsed.source, "unchanged",
                                                 document_id=stored[0])))  # fmt: skip
                continue
            prepared = prepare(path, path.parent, content_hash, (), None, context, parsed=parsed)
        except (ParseError, OSError, ValueError) as exc:
            reason = exc.reason if isinstance(exc, ParseError) else str(exc)
            results.append((None, FileReport(parsed.source, "failed", reason)))
            continue
        except Exception as exc:  # a parser bug must not stop the batch
            logger.exception("unexpected error ingesting %s", parsed.source)
            results.append((None, FileReport(parsed.source, "failed",
                                             f"internal error: {type(exc).__name__}: {exc}")))
            continue
        status = "updated" if stored else "added"
        report = FileReport(parsed.source, status, prepared.note, len(prepared.chunks),
                            prepared.document.id)  # fmt: skip
        results.append((prepared, report))
    return results
