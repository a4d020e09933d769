"""`KnowledgeBase`: the public Python API. Ingest sources, search them.

Example:
    >>> from kenning import KnowledgeBase
    >>> kb = KnowledgeBase("./.kenning")
    >>> report = kb.ingest(["demo/"])
    >>> hits = kb.search("how do we fail over the payments database?", k=5)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kenning.config import DEFAULT_EMBEDDING_MODEL, Settings, load_settings
from kenning.errors import InvalidRequest
from kenning.index.embeddings import (
    MULTILINGUAL_MODEL,
    Embedder,
    answer_embedder,
    create_embedder,
)
from kenning.index.manifest import Manifest
from kenning.index.retriever import Retrieval, Retriever
from kenning.index.shared_index import SharedIndex
from kenning.index.store import Store
from kenning.index.vector_cache import VectorCache
from kenning.index.writer import DocumentWriter, PreparedDocument
from kenning.ingest.chunking import ChunkSettings
from kenning.ingest.language import DEFAULT_LANGUAGE, query_analysers
from kenning.qa.citations import CheckedAnswer, check_answer
from kenning.qa.messages import message, percent
from kenning.qa.service import QAService, ServiceParts
from kenning.schema import AskResponse, Expert, Filters, Hit, IngestReport

if TYPE_CHECKING:
    from kenning.ingest.runner import IngestRunner

DB_FILE = "kenning.sqlite"
MULTILINGUAL_SHARE = 0.25  # of passages not in English: the multilingual model is advised
TRANSCRIPT_CACHE = "cache/transcripts"  # speech-to-text results by sha256 of the recording


class KnowledgeBase:
    """One knowledge base folder: SQLite store, FAISS vectors and a manifest.

    Args:
        path: the folder (created if missing); defaults to the `home` setting.
        settings: the settings; built from the environment and `kenning.toml` when omitted.
        embedder: an embedder to use instead of the one the settings name.

    Raises:
        IndexMismatchError: the folder was built with another embedding model or quantisation.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        settings = settings or load_settings()
        self.path = Path(path) if path is not None else settings.home
        self.path.mkdir(parents=True, exist_ok=True)
        self._embedder = embedder
        self._loading = threading.Lock()
        self.chunking = ChunkSettings.from_settings(settings)
        manifest = Manifest(self.path)
        built_with = manifest.fields.get("embedding_model")
        if built_with and embedder is None and "embedding_model" not in settings.model_fields_set:
            # The model is the knowledge base's choice: left unset, follow its manifest.
            settings = settings.model_copy(update={"embedding_model": built_with})
        manifest.check_model(embedder.name if embedder is not None else settings.embedding_model)
        # A new knowledge base whose model is left unset takes it from the languages of its
        # first documents (`_choose_model`).
        self._model_open = not built_with and embedder is None and (
            "embedding_model" not in settings.model_fields_set)  # fmt: skip
        # Set when the model was chosen from the first passages: their share not in English
        # and the commonest other languages' shares, for the ingest report's advice.
        self._model_note: tuple[float, list[tuple[str, float]]] | None = None
        quantization = manifest.quantization(settings.embedding_quantization, embedder)
        self.settings = settings.model_copy(update={"embedding_quantization": quantization})
        self.store = Store(self.path / DB_FILE)
        self.store.common_term_share = self.settings.bm25_common_share
        self.cache = VectorCache(
            self.path, self.store, manifest, self.settings, self.chunking.signature(),
            lambda: self.embedder,
        )  # fmt: skip
        self.writer = DocumentWriter(self.store, self.cache, lambda: self.embedder,
                                     before_write=self._choose_model)  # fmt: skip
        self._retriever: Retriever | None = None
        self._qa: QAService | None = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def warm(self) -> None:
        """Load now what the first question would (the vector index, the embedding model, the
        answering service's word lists and lexicon), so that it is answered fast.

        The models load and run once in a second thread, since ONNX Runtime lets go of the GIL
        while it reads a model, and this one meanwhile reads the index and the word lists."""
        failures: list[BaseException] = []

        def load_models() -> None:
            try:
                self.embedder.embed_query("warm up")
                answer_embedder(self.embedder, self.settings).embed_documents(["warm up"])
            except BaseException as exc:  # noqa: BLE001 (re-raised below, in the caller)
                failures.append(exc)

        models = threading.Thread(target=load_models, name="kenning-models", daemon=True)
        models.start()
        try:
            _ = self.vectors
            self.qa.warm(models=False)
        finally:
            models.join()
        if failures:
            raise failures[0]

    @property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (once, whichever thread asks first)."""
        with self._loading:
            if self._embedder is None:
                self._embedder = create_embedder(self.settings)
            return self._embedder

    @property
    def vectors(self) -> SharedIndex:
        """The vector index, loaded on first use; rebuilt from the store if it is stale."""
        return self.cache.vectors

    @property
    def retriever(self) -> Retriever:
        """Hybrid retrieval over this knowledge base."""
        if self._retriever is None:
            self._retriever = Retriever(self.store, self.vectors, self.embedder, self.settings,
                                        query_languages=query_analysers)  # fmt: skip
        return self._retriever

    @property
    def qa(self) -> QAService:
        """The answering service over this knowledge base."""
        if self._qa is None:
            parts = ServiceParts(
                settings=self.settings, store=self.store, retrieve=self.retrieve,
                embedder=lambda: self.embedder, writer=self,
            )  # fmt: skip
            self._qa = QAService(parts)
        return self._qa

    def accepts(self, name: str) -> str | None:
        """None when a file of this name can be ingested, else the reason it cannot."""
        from kenning.ingest.directory import DIRECTORY_NAMES  # the parsers: not for serving only
        from kenning.ingest.parsers import suffix_of, supported_suffixes

        suffix = suffix_of(Path(name))
        if suffix in supported_suffixes() or name.lower() in DIRECTORY_NAMES:
            return None
        return f"file type '{suffix}' is not accepted; accepted: {' '.join(supported_suffixes())}"

    def _runner(self) -> IngestRunner:
        from kenning.ingest.runner import IngestRunner  # 0.1 s of imports a server may not need

        return IngestRunner(self.writer, self.settings, self.chunking, self.path / TRANSCRIPT_CACHE)

    def ingest(
        self,
        paths: list[str | Path] | str | Path,
        prune: bool = False,
        kind: str | None = None,
        groups: list[str] | None = None,
        tags: list[str] | None = None,
        progress: bool = False,
        lang: str = DEFAULT_LANGUAGE,
    ) -> IngestReport:
        """Ingest files and folders; unchanged files are skipped, changed ones replaced.

        Args:
            paths: files or folders (walked recursively).
            prune: also remove documents whose source file no longer exists.
            kind: force the kind of every ingested document.
            groups: groups allowed to read the ingested documents (added to front matter's).
            tags: tags added to every ingested document.
            progress: show a progress bar on stderr.
            lang: the language of the report's advice ("en" or "fr").

        Returns:
            A report with one line per file; failures carry a one-line reason.
        """
        report = self._runner().ingest(paths, prune, kind, groups, tags, progress)
        if self._model_note is not None:
            advice: str | None = message("advice_model_chosen", lang,
                                         english=DEFAULT_EMBEDDING_MODEL,
                                         **_share_fields(self._model_note, lang))  # fmt: skip
        else:
            advice = self.model_advice(lang)
        self._model_note = None
        if advice:
            report.advice.append(advice)
        return report

    def _choose_model(self, batch: Sequence[PreparedDocument]) -> None:
        """Before the first passages of a new knowledge base are embedded: when its model was
        left unset and at least `MULTILINGUAL_SHARE` of them are not in English, embed with
        the multilingual model, so questions in either language find them."""
        if not self._model_open:
            return
        counts = Counter(chunk.lang for prepared in batch for chunk in prepared.chunks
                         if chunk.lang)  # fmt: skip
        total = sum(counts.values())
        if not total:  # nothing to judge by yet (empty documents): the next batch decides
            return
        self._model_open = False
        if self.store.stats()["chunks"]:  # an older knowledge base without a manifest
            return
        other = total - counts.get("en", 0)
        if other < MULTILINGUAL_SHARE * total:
            return
        with self._loading:
            self.settings = self.settings.model_copy(
                update={"embedding_model": MULTILINGUAL_MODEL})
            self._embedder = None
        self._retriever, self._qa = None, None  # built for the English model, if at all
        self._model_note = (other / total, _shares(counts, total))

    def model_advice(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """A line recommending the multilingual embedding model, in `lang`, when this knowledge
        base is embedded with the English one and at least `MULTILINGUAL_SHARE` of its passages
        are in another language; else None."""
        if self.settings.embedding_model != DEFAULT_EMBEDDING_MODEL:
            return None
        counts = {lang: n for lang, n in self.store.chunks_by_language().items() if lang}
        total = sum(counts.values())
        other = {lang: n for lang, n in counts.items() if lang != "en"}
        if not total or sum(other.values()) < MULTILINGUAL_SHARE * total:
            return None
        fields = _share_fields((sum(other.values()) / total, _shares(other, total)), lang)
        return message("advice_multilingual", lang, multilingual=MULTILINGUAL_MODEL, **fields)

    def prune(self) -> list[str]:
        """Remove documents whose source file no longer exists; returns their sources."""
        return self._runner().prune()

    def delete(self, document_id: str) -> bool:
        """Delete one document; returns False when it does not exist."""
        if self.store.document(document_id) is None:
            return False
        self.writer.delete([document_id])
        return True

    def retrieve(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> Retrieval:
        """Hits plus the scores and people behind them (used by answering)."""
        if not query or not query.strip():
            raise InvalidRequest(key="query_empty")
        self.cache.refresh()
        return self.retriever.retrieve(query, k, search_filters(filters))

    def search(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Hit]:
        """The k best passages for a query.

        Args:
            query: the question or keywords.
            k: how many hits to return.
            filters: `Filters` or a mapping with keys kind, tags, team, person, date_from,
                date_to, source_prefix, groups.

        Raises:
            ValueError: the query is empty, or a filter is unknown.
        """
        return self.retrieve(query, k, filters).hits

    def stats(self) -> dict[str, Any]:
        """Counts of documents by kind, chunks and people."""
        return self.store.stats()

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | dict[str, Any] | None = None,
        answerer: str | None = None,
        history: list[dict[str, str]] | None = None,
    ) -> AskResponse:
        """Answer a question with cited passages and the people who know.

        Args:
            question: the question in plain language.
            k: passages to retrieve.
            filters: as for `search`.
            answerer: "extractive" or "llm" (default: the LLM when one is configured).
            history: the conversation so far, oldest first: `{"role": "user" | "assistant",
                "content": ...}`; a follow-up is searched as a standalone question.

        Raises:
            ValueError: the question is empty or too long, the history is over its bounds,
                or a filter or answerer is unknown.

        Example:
            >>> first = kb.ask("How do we fail over the payments database?")
            >>> kb.ask("and who owns it?", history=[
            ...     {"role": "user", "content": "How do we fail over the payments database?"},
            ...     {"role": "assistant", "content": first.answer}]).rewritten_question
            'who owns the payments database?'
        """
        return self.qa.ask(question, k, _filters(filters), answerer, history)

    def experts(
        self, topic: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Expert]:
        """The people most likely to know about a topic, with reasons and evidence."""
        return self.qa.experts(topic, k, _filters(filters))

    def check_answer(self, answer: str, passages: list[Hit]) -> CheckedAnswer:
        """Check an answer's `[n]` markers against the passages they cite (1-based).

        The check LLM answers pass before they are shown, exposed for evaluation: sentences
        no cited passage supports come back in `dropped`.
        """
        return check_answer(answer, passages, self.embedder, self.settings.support_threshold)


def _shares(counts: Mapping[str, int], total: int) -> list[tuple[str, float]]:
    """The three commonest languages other than English, with their shares."""
    other = sorted(((lang, n) for lang, n in counts.items() if lang != "en"), key=lambda i: -i[1])
    return [(lang, n / total) for lang, n in other[:3]]


def _share_fields(found: tuple[float, list[tuple[str, float]]], lang: str) -> dict[str, str]:
    """The advice's fields in `lang`: the share not in English ("80%", "80 %") and each
    language's ("fr 80%")."""
    share, shares = found
    return {"share": percent(share, lang),
            "shares": ", ".join(f"{code} {percent(s, lang)}" for code, s in shares)}  # fmt: skip


def _filters(filters: Filters | dict[str, Any] | None) -> Filters:
    return filters if isinstance(filters, Filters) else Filters.from_dict(filters)


def search_filters(filters: Filters | dict[str, Any] | None) -> Filters:
    """Filters as retrieval reads them: a relative source prefix made absolute (a trailing
    `/` kept), as sources are stored."""
    filters = _filters(filters)
    if filters.source_prefix and "://" not in filters.source_prefix:
        prefix = str(Path(filters.source_prefix).resolve())
        if filters.source_prefix.endswith("/"):
            prefix += "/"
        filters = Filters(**{**filters.__dict__, "source_prefix": prefix})
    return filters
