"""`KenningRetriever` in a real LangChain (LCEL) chain, over a knowledge base and over a
server on loopback with API keys (a restricted key retrieves nothing it may not read)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from security.restricted import API_KEYS, FINANCE_MARKER, FINANCE_TITLE, KEYS, add_restricted
from support import GOOD, free_port, hash_settings

from kenning import KnowledgeBase
from kenning.api.app import create_app
from kenning.integrations.langchain import KenningRetriever

PROMPT = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")


def chain(retriever: BaseRetriever):  # noqa: ANN201
    """Retrieve, format the passages with their citations, fill a prompt."""

    def context(docs: list[Document]) -> str:
        return "\n".join(f"[{d.metadata['title']}] {d.page_content}" for d in docs)

    return (
        {"context": retriever | RunnableLambda(context), "question": RunnablePassthrough()}
        | PROMPT
        | RunnableLambda(lambda value: value.to_string())
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("langchain-kb")
    shutil.copytree(GOOD, root / "corpus")
    add_restricted(root / "corpus")
    with KnowledgeBase(root / "kb", hash_settings(root / "kb")) as base:
        assert not base.ingest([root / "corpus"]).failed
    return root / "kb"


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[str]:
    kb = KnowledgeBase(home, hash_settings(home, api_keys=API_KEYS))
    port = free_port()
    app = create_app(kb=kb, ui=False)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not instance.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=20)
    kb.close()


QUESTION = f"What did the board approve for Project {FINANCE_MARKER}?"


def test_retriever_over_a_knowledge_base_in_a_chain(home: Path) -> None:
    with KnowledgeBase(home, hash_settings(home)) as kb:
        retriever = KenningRetriever(kb=kb, k=3)
        docs = retriever.invoke(QUESTION)
        prompt = chain(retriever).invoke(QUESTION)
    assert len(docs) == 3 and docs[0].metadata["title"] == FINANCE_TITLE
    assert {"document_id", "source", "kind", "location", "rank", "score"} <= set(docs[0].metadata)
    assert f"[{FINANCE_TITLE}]" in prompt and prompt.endswith(QUESTION)


def test_retriever_over_a_server_keeps_the_keys_rights(server: str) -> None:
    finance = KenningRetriever(url=server, api_key=KEYS["finance"], k=5)
    assert chain(finance).invoke(QUESTION).count(f"[{FINANCE_TITLE}]") >= 1
    outsider = KenningRetriever(url=server, api_key=KEYS["public"], k=5)
    docs = outsider.invoke(QUESTION)
    assert docs and all(FINANCE_MARKER not in d.page_content for d in docs)
    assert FINANCE_TITLE not in chain(outsider).invoke(QUESTION)
    with pytest.raises(RuntimeError, match="401"):
        KenningRetriever(url=server, api_key="wrong", k=1).invoke(QUESTION)


def test_retriever_needs_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        KenningRetriever()
