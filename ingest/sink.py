"""`DocumentSink`: where ingestion hands its prepared documents.

Ingestion finds, parses and chunks files; it never embeds or stores them itself (ingest/ and
index/ do not import each other). A sink does: `kenning.index.writer.DocumentWriter` embeds
the chunks and writes them to one knowledge base's store and vector index. A distributed
ingest gives each shard its own sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from kenning.ingest.pipeline import Prepared
from kenning.schema import Person


class DocumentSink(Protocol):
    """What ingestion needs from the knowledge base it fills."""

    def begin(self) -> None:
        """Get ready to write (load the vector index before the store changes)."""
        ...

    def content_hash(self, source: str) -> tuple[str, str] | None:
        """(document id, content hash) of the stored document with this source, or None."""
        ...

    def people(self) -> list[Person]:
        """Everyone known already (they resolve the names found in documents)."""
        ...

    def save_people(self, people: list[Person], listed: Sequence[Person]) -> None:
        """Save people; `listed` are a people directory file's entries, visible to all."""
        ...

    def write(self, batch: Sequence[Prepared]) -> list[str | None]:
        """Embed and store the documents, each atomically replacing its previous version.

        Returns:
            For each document, None when it was stored, else why it could not be (the
            others are stored still).
        """
        ...

    def sources(self) -> dict[str, str]:
        """Every stored document's source, by document id."""
        ...

    def delete(self, document_ids: Sequence[str]) -> None:
        """Remove documents with their chunks, durably when there were any."""
        ...

    def finish(self, changed: bool) -> None:
        """Make the run durable: save the vector index when documents were added or
        replaced, or when it has never been saved."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counts of documents by kind, chunks and people."""
        ...
