"""A small store written through its own API: four documents, three people, in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kenning.index.embeddings import HashEmbedder
from kenning.index.store import Store
from kenning.schema import Chunk, Document, Evidence, Person

JANE = Person(id="p-jane", name="Jane Doe", aliases=("jane@corp.example", "JD", "Jane"),
              teams=("Platform",))  # fmt: skip
BOB = Person(id="p-bob", name="Bob Stone", aliases=("@bstone", "Bob", "bob@corp.example"))
CARLA = Person(id="p-carla", name="Carla Diaz", aliases=("cdiaz",))


def document(doc_id: str, texts: list[str], **fields: object) -> tuple[Document, list[Chunk]]:
    """A document with the given fields (a kind, a source of its own) and a chunk per text."""
    fields = {"source": f"/corp/{doc_id}.md", "kind": "document"} | fields
    doc = Document(id=doc_id, title=doc_id.title(), content_hash=f"hash-{doc_id}", **fields)
    chunks = [
        Chunk(id=f"{doc_id}-{n}", document_id=doc_id, ord=n, text=text, location=doc.title,
              speakers=tuple(s for s in ("Jane", "Bob") if text.startswith(f"{s}:")))
        for n, text in enumerate(texts)
    ]  # fmt: skip
    return doc, chunks


DOCUMENTS = [
    document(
        "runbook", ["Flush the edge cache with cachectl.", "Verify the hit ratio recovers."],
        tags=("Runbook", "cache"), team="Platform", updated="2024-05-01", review_by="2024-01-01",
        evidence=[Evidence("p-jane", "owner", 1.0, mention="Jane Doe <jane@corp.example>")],
    ),
    document(
        "payroll", ["Payroll runs on the last Friday of the month."],
        kind="meeting", tags=("payroll",), team="People", created="2023-01-10",
        review_by="2023-06-01", groups=("hr",),
        evidence=[Evidence("p-bob", "owner", 1.0, mention="@bstone"),
                  Evidence("p-jane", "attendee", 0.2, mention="JD")],
    ),
    document(
        "sync", ["Jane: the pelican balancer needs certificates.", "Bob: I will rotate them."],
        kind="transcript", updated="2025-03-01", groups=("eng", "hr"),
        evidence=[Evidence("p-jane", "speaker", 0.6, share=0.6, mention="Jane"),
                  Evidence("p-bob", "speaker", 0.6, share=0.4, mention="Bob")],
    ),
    document("retro", ["The outage came from an expired certificate."],
             kind="retrospective", created="2022-06-01", source="/corp/100%_done/retro.md"),
]  # fmt: skip


def fill(store: Store) -> None:
    """Write the documents and people above into a store."""
    embedder = HashEmbedder()
    for doc, chunks in DOCUMENTS:
        vectors = embedder.embed_documents([c.text for c in chunks])
        store.replace_document(doc, chunks, vectors, [JANE, BOB])
    store.save_people([CARLA], listed=[CARLA])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store holding the documents above."""
    opened = Store(tmp_path / "kenning.sqlite")
    fill(opened)
    yield opened
    opened.close()


@pytest.fixture
def people() -> dict[str, Person]:
    """The people above, by first name in lower case."""
    return {"jane": JANE, "bob": BOB, "carla": CARLA}


@pytest.fixture
def documents() -> list[tuple[Document, list[Chunk]]]:
    """The documents above with their chunks, as the `store` fixture holds them."""
    return list(DOCUMENTS)
