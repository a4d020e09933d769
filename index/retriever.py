"""Hybrid retrieval: dense (FAISS) and lexical (FTS5 BM25) rankings fused, filtered,
steered towards the people a question names, balanced across languages, and diversified
across documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from kenning.config import Settings
from kenning.index.analysers import ANALYSERS
from kenning.index.embeddings import Embedder, calibrated
from kenning.index.filters import PERSON_CHUNKS
from kenning.index.hybrid import FusionMethod, fuse
from kenning.index.people_in_query import PersonMatcher
from kenning.index.store import Store
from kenning.index.vectors import VectorIndex
from kenning.schema import Filters, Hit

# Weight of the extra rankings restricted to the people a question names.
PERSON_WEIGHT = 0.5
# Share of the lexical weight given to the second language's BM25 when a question's language
# is uncertain (see `Retriever.query_languages`).
SECOND_LANGUAGE_SHARE = 0.5
# An embedder that matches across languages (`crosses_languages`) adds one dense ranking per
# language, each restricted to that language's passages, at this share of the dense weight,
# where the knowledge base is bilingual (each language holds `BILINGUAL_SHARE` of the passages
# or more) or the question is asked in a language few passages are written in. Similarities
# across languages run below those within one, and the question's language also wins BM25, so
# without it a question's top 5 held mostly passages of its own language. On the bilingual
# guide (44 questions asked across languages, `python -m kenning.bench.french`): hit@5
# 0.705 -> 0.818, and 0.977 -> 1.000 for the same questions in the passage's language
# (MRR@10 0.909 -> 0.871). On the demo (2 French pages of 60), French questions on English
# pages: quoted passage in the top 5 for 14 -> 16 of 24, answered 11 -> 13 of 26; English
# questions unchanged (62 of 63). Added for English questions there too, it cost them their
# passage (62 -> 60), hence the share.
LANGUAGE_WEIGHT = 2.0
BILINGUAL_SHARE = 0.2
HIT_ROWS_SPARE = 5  # rows read beyond the k hits wanted, in case some are skipped


@dataclass
class Retrieval:
    """Hits plus what retrieval learnt on the way (for answering and expert ranking)."""

    hits: list[Hit]
    people: list[str] = field(default_factory=list)  # person ids named in the query
    dense_scores: dict[int, float] = field(default_factory=dict)  # cosine by chunk rowid
    rowids: list[int] = field(default_factory=list)  # rowid of each hit

    def best_dense_score(self) -> float:
        """The best cosine similarity between the query and a returned passage."""
        return max((self.dense_scores.get(r, 0.0) for r in self.rowids), default=0.0)


class Retriever:
    """Searches one knowledge base."""

    def __init__(
        self,
        store: Store,
        vectors: VectorIndex,
        embedder: Embedder,
        settings: Settings,
        query_languages: Callable[[str], list[str]] | None = None,
    ) -> None:
        """`query_languages` gives the analysers a question is searched with, its own
        language's first (`kenning.ingest.language.query_analysers`); without it, English."""
        self.store = store
        self.query_languages = query_languages or (lambda _query: ["en"])
        self.vectors = vectors
        self.embedder = embedder
        self.settings = settings
        self._matcher: PersonMatcher | None = None
        self._matcher_generation = -1

    def people_in(self, text: str) -> list[str]:
        """Ids of known people named in the text."""
        generation = self.store.generation
        if self._matcher is None or generation != self._matcher_generation:
            self._matcher = PersonMatcher(self.store.people())
            self._matcher_generation = generation
        return self._matcher.find(text)

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """The k best passages for a query, with the scores behind them."""
        filters = filters or Filters()
        n = max(self.settings.candidates, k)
        allowed = None if filters.is_empty() else self.store.filtered_rowids(filters)
        vector = self.embedder.embed_query(query)
        dense = self.vectors.search(vector, n, allowed)
        languages = [lang for lang in self.query_languages(query) if lang in ANALYSERS] or ["en"]
        rankings = [dense]
        weights = [self.settings.dense_weight]
        # An embedder may weigh lexical search less (a multilingual one matches across
        # languages where words do not).
        lexical_weight = self.settings.lexical_weight * getattr(self.embedder, "lexical_share", 1.0)
        for i, lang in enumerate(languages):
            rankings.append(self.store.lexical_search(query, n, filters, analyser=lang,
                                                      language=languages[0]))  # fmt: skip
            share = 1.0 if i == 0 else SECOND_LANGUAGE_SHARE
            weights.append(lexical_weight * share)
        if getattr(self.embedder, "crosses_languages", False):
            for rowids in self._per_language(filters, languages[0]):
                rankings.append(self.vectors.search(vector, n, rowids))
                weights.append(self.settings.dense_weight * LANGUAGE_WEIGHT)
        people = self.people_in(query) if not filters.person else []
        for person_id in people[:2]:
            params = [person_id, person_id]
            scoped = self.store.filtered_rowids(filters, PERSON_CHUNKS, params)
            rankings.append(self.vectors.search(vector, n, scoped))
            rankings.append(self.store.lexical_search(query, n, filters, PERSON_CHUNKS, params,
                                                      analyser=languages[0]))  # fmt: skip
            weights += [PERSON_WEIGHT, PERSON_WEIGHT]
        fused = fuse(rankings, weights, FusionMethod.from_str(self.settings.fusion),
                     self.settings.rrf_k)  # fmt: skip
        # On the packaged model's scale: abstention and the floors read these cosines.
        dense_scores = {rowid: calibrated(self.embedder, score) for rowid, score in dense}
        pool = fused[: n * 2]
        rows: dict[int, dict] = {}
        fetched = 0
        hits: list[Hit] = []
        rowids: list[int] = []
        per_document: dict[str, int] = {}
        cap = self.settings.max_hits_per_document
        for at, (rowid, score) in enumerate(pool):
            if at == fetched:
                # Rows are read only as far down the fused ranking as hits are still needed:
                # the k wanted and a few spare first (a chunk may be gone from the store, or
                # over its document's cap), then twice what is missing. Reading all 2n rows
                # took 2.2 ms for 100, 0.9 ms for 40 (QMSum val, load 7).
                wanted = k - len(hits)
                fetched = min(len(pool), at + (wanted + HIT_ROWS_SPARE if at == 0 else 2 * wanted))
                rows.update(self.store.hit_rows([r for r, _ in pool[at:fetched]]))
            row = rows.get(rowid)
            if row is None:
                continue
            count = per_document.get(row["document_id"], 0)
            if cap and count >= cap:
                continue
            per_document[row["document_id"]] = count + 1
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=round(score, 6),
                    document_id=row["document_id"],
                    title=row["title"],
                    source=row["source"],
                    kind=row["kind"],
                    text=row["text"],
                    location=row["location"],
                    start=row["start"],
                    end=row["end"],
                    speakers=list(row["speakers"]),
                    lang=row["lang"],
                )
            )
            rowids.append(rowid)
            if len(hits) >= k:
                break
        missing = [r for r in rowids if r not in dense_scores]
        if missing:
            dense_scores.update(self._cosine(vector, missing))
        return Retrieval(hits=hits, people=people, dense_scores=dense_scores, rowids=rowids)

    def _per_language(self, filters: Filters, asked_in: str) -> list[np.ndarray]:
        """The rowids of each language's passages within the filters, where the knowledge base
        is bilingual (every language holds `BILINGUAL_SHARE` of them or more) or the question
        is asked in a language few passages are written in; else none."""
        per_language: dict[str, np.ndarray] = {}
        for lang in ANALYSERS:
            if filters.lang and lang not in filters.lang:
                continue
            rowids = self.store.filtered_rowids(replace(filters, lang=(lang,)))
            if len(rowids):
                per_language[lang] = rowids
        if len(per_language) < 2:
            return []
        floor = BILINGUAL_SHARE * sum(map(len, per_language.values()))
        own = len(per_language.get(asked_in, ()))
        if min(map(len, per_language.values())) < floor and own >= floor:
            return []
        return list(per_language.values())

    def _cosine(self, vector: np.ndarray, rowids: list[int]) -> dict[int, float]:
        """Cosine similarity of the query to chunks that dense search did not rank."""
        allowed = np.array(rowids, dtype=np.int64)
        return dict(self.vectors.search(vector, len(rowids), allowed))
