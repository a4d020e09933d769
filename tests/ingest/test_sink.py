"""The `DocumentSink` contract, run against every implementation (a distributed ingest's shard
writer joins the list)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import hash_settings

from kenning import KnowledgeBase
from kenning.ingest.pipeline import Prepared
from kenning.ingest.sink import DocumentSink
from kenning.schema import Chunk, Document, Person

ANA = Person(id="ana", name="Ana Lima", aliases=("ana@corp.example",))


def knowledge_base_writer(home: Path) -> tuple[DocumentSink, Callable[[], None]]:
    kb = KnowledgeBase(home, hash_settings(home))
    return kb.writer, kb.close


@pytest.fixture(params=[knowledge_base_writer], ids=lambda factory: factory.__name__)
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentSink]:
    opened, close = request.param(tmp_path / "kb")
    opened.begin()
    yield opened
    close()


def prepared(name: str, text: str, content_hash: str = "v1") -> Prepared:
    source = f"/corp/{name}.md"
    document = Document(id=Document.id_for(source), source=source, title=name, kind="document",
                        content_hash=content_hash)  # fmt: skip
    chunk = Chunk(id=f"{document.id}-0", document_id=document.id, ord=0, text=text, location="")
    return Prepared(document, [chunk], [ANA])


class TestDocumentSinkContract:
    def test_a_written_document_is_known_by_its_source_and_hash(self, sink) -> None:
        assert sink.content_hash("/corp/a.md") is None
        assert sink.write([prepared("a", "Alpha text.")]) == [None]
        document_id, content_hash = sink.content_hash("/corp/a.md")
        assert content_hash == "v1" and sink.sources() == {document_id: "/corp/a.md"}
        assert sink.stats()["chunks"] == 1

    def test_a_new_version_replaces_the_old(self, sink) -> None:
        sink.write([prepared("a", "Alpha text.")])
        sink.write([prepared("a", "Alpha, revised.", content_hash="v2")])
        assert sink.content_hash("/corp/a.md")[1] == "v2"
        assert sink.stats()["chunks"] == 1

    def test_people_saved_are_known_to_the_next_run(self, sink) -> None:
        sink.save_people([ANA], listed=[ANA])
        assert [p.id for p in sink.people()] == ["ana"]

    def test_deleted_documents_are_gone(self, sink) -> None:
        sink.write([prepared("a", "Alpha text."), prepared("b", "Beta text.")])
        sink.finish(changed=True)
        (gone,) = [i for i, s in sink.sources().items() if s == "/corp/b.md"]
        sink.delete([gone])
        assert list(sink.sources().values()) == ["/corp/a.md"]
        assert sink.stats()["chunks"] == 1

    def test_an_empty_batch_writes_nothing(self, sink) -> None:
        assert sink.write([]) == []
        sink.finish(changed=False)
        assert sink.stats()["documents"] == 0
