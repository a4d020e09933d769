"""The unit-vector cache of extractive answers: the same vectors, embedded once."""

from __future__ import annotations

import numpy as np

from kenning.index.embeddings import HashEmbedder
from kenning.qa.extractive import UnitVectors


class CountingEmbedder(HashEmbedder):
    """The real hashing embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().embed_documents(texts)


def test_units_seen_before_are_not_embedded_again_and_vectors_are_unchanged() -> None:
    embedder, cache = CountingEmbedder(), UnitVectors(size=3)
    first = cache.embed(embedder, ["Scale capture-worker to zero.", "Promote paydb-2."])
    again = cache.embed(embedder, ["Promote paydb-2.", "Fence paydb-1."])
    assert embedder.embedded == ["Scale capture-worker to zero.", "Promote paydb-2.",
                                 "Fence paydb-1."]  # fmt: skip
    assert np.allclose(again[0], first[1])
    assert np.allclose(again, HashEmbedder().embed_documents(["Promote paydb-2.",
                                                                "Fence paydb-1."]))  # fmt: skip
    cache.embed(embedder, ["Page the incident commander."])  # the oldest unit goes
    cache.embed(embedder, ["Scale capture-worker to zero."])
    assert embedder.embedded.count("Scale capture-worker to zero.") == 2
    assert cache.embed(embedder, []).shape[0] == 0
