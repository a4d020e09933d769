"""`KenningRetriever`: Kenning as a LangChain retriever, so LangChain and LangGraph apps
retrieve from a knowledge base (opened here) or from a Kenning server (URL and API key).

Each hit becomes a `Document` whose `page_content` is the passage and whose metadata carries
what a citation needs: document id, title, source, kind, location, times, speakers, rank and
score.

Example:
    ```python
    from kenning.integrations.langchain import KenningRetriever

    retriever = KenningRetriever(url="http://127.0.0.1:8000", api_key="...", k=4)
    docs = retriever.invoke("How do we fail over the payments database?")
    ```
"""

from __future__ import annotations

from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, SecretStr, model_validator

from kenning import KnowledgeBase


def hit_document(hit: dict[str, Any]) -> Document:
    """A Kenning hit (as `Hit.to_dict()` or the API gives it) as a LangChain `Document`."""
    metadata = {key: value for key, value in hit.items() if key != "text" and value is not None}
    metadata["speakers"] = list(hit.get("speakers") or [])
    return Document(page_content=hit.get("text", ""), metadata=metadata,
                    id=f"{hit.get('document_id')}:{hit.get('rank')}")  # fmt: skip


class KenningRetriever(BaseRetriever):
    """Retrieve passages from Kenning.

    Give either `kb` (a `KnowledgeBase`, read with the local user's rights) or `url` (a
    `kenning serve` base URL, read with `api_key`'s rights through `POST /v1/search`).

    Args:
        kb: an open knowledge base.
        url: a Kenning server's base URL, e.g. `http://127.0.0.1:8000`.
        api_key: the key sent as a bearer token to the server.
        k: passages to return.
        filters: Kenning filters (kind, tags, team, person, date_from, date_to, source_prefix).
        timeout: seconds to wait for the server.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: KnowledgeBase | None = None
    url: str | None = None
    api_key: SecretStr | None = None
    k: int = Field(default=5, ge=1, le=50)
    filters: dict[str, Any] | None = None
    timeout: float = 60.0

    @model_validator(mode="after")
    def _one_source(self) -> KenningRetriever:
        if (self.kb is None) == (self.url is None):
            raise ValueError("give exactly one of kb (a KnowledgeBase) or url (a Kenning server)")
        return self

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.kb is not None:
            hits = [hit.to_dict() for hit in self.kb.search(query, k=self.k, filters=self.filters)]
        else:
            hits = self._search_server(query)
        return [hit_document(hit) for hit in hits]

    def _search_server(self, query: str) -> list[dict[str, Any]]:
        headers = {}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key.get_secret_value()}"
        body: dict[str, Any] = {"query": query, "k": self.k}
        if self.filters:
            body["filters"] = self.filters
        response = httpx.post(f"{self.url.rstrip('/')}/v1/search", json=body, headers=headers,
                              timeout=self.timeout)  # fmt: skip
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise RuntimeError(f"Kenning server answered {response.status_code}: {message}")
        return list(response.json()["hits"])
