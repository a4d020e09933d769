"""The golden-set format: one JSON question a line, read and checked.

A line holds `question` and, optionally, `id`, `answer` (the reference), `evidence` (a list
of `{source, text}` or `{source, start, end}`; `page` and `slide` are kept for display),
`experts` (names), `must_abstain` (true when the knowledge base cannot answer it), `filters` (as for
`KnowledgeBase.search`) and `tags` (labels to break results down by). `demo/questions.jsonl`
is an example.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

QUESTION_FIELDS = {
    "id", "question", "answer", "evidence", "experts", "must_abstain", "filters", "tags",
}  # fmt: skip
EVIDENCE_FIELDS = {"source", "text", "start", "end", "page", "slide"}


class GoldenError(ValueError):
    """A golden-set line that cannot be used; the message names the file, line and field."""


@dataclass(frozen=True)
class EvidenceSpan:
    """Where the answer is: a source, and a quoted text or a time range within it."""

    source: str
    text: str | None = None
    start: float | None = None
    end: float | None = None
    page: int | None = None
    slide: int | None = None

    @property
    def source_only(self) -> bool:
        """True when only the source is given (document-level relevance)."""
        return self.text is None and self.start is None


@dataclass(frozen=True)
class GoldenQuestion:
    """One question of a golden set."""

    id: str
    question: str
    answer: str | None = None
    evidence: tuple[EvidenceSpan, ...] = ()
    experts: tuple[str, ...] = ()
    must_abstain: bool = False
    filters: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The question as its JSON line would hold it (empty fields left out)."""
        data = asdict(self)
        data["evidence"] = [
            {k: v for k, v in e.items() if v is not None} for e in data["evidence"]
        ]
        return {k: v for k, v in data.items() if v not in (None, (), [], {}, False)}


def load_golden(path: Path) -> list[GoldenQuestion]:
    """Read a golden set.

    Raises:
        GoldenError: a line is not JSON, lacks `question`, has an unknown field or a field
            of the wrong type; the message names the file, the line number and the field.
        FileNotFoundError: the file does not exist.
    """
    questions: list[GoldenQuestion] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            question = parse_line(line, where=f"{path}, line {number}", default_id=f"q{number}")
            if question.id in seen:
                raise GoldenError(f"{path}, line {number}: field 'id': {question.id!r} is repeated")
            seen.add(question.id)
            questions.append(question)
    if not questions:
        raise GoldenError(f"{path}: no questions")
    return questions


def write_golden(questions: list[GoldenQuestion], path: Path) -> None:
    """Write a golden set, one question a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for question in questions:
            handle.write(json.dumps(question.to_dict(), ensure_ascii=False) + "\n")


def parse_line(line: str, where: str, default_id: str) -> GoldenQuestion:
    """One golden line; `where` ("file:line") starts every error message."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldenError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise GoldenError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - QUESTION_FIELDS)
    if unknown:
        raise GoldenError(
            f"{where}: unknown field {unknown[0]!r}; valid: {', '.join(sorted(QUESTION_FIELDS))}"
        )
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise GoldenError(f"{where}: field 'question' is missing or empty")
    answer = _optional(data, "answer", str, where)
    evidence = data.get("evidence", [])
    if not isinstance(evidence, list):
        raise GoldenError(f"{where}: field 'evidence' must be a list")
    spans = tuple(_evidence(item, f"{where}: field 'evidence[{i}]'")
                  for i, item in enumerate(evidence))  # fmt: skip
    experts = data.get("experts", [])
    if not isinstance(experts, list) or not all(isinstance(e, str) for e in experts):
        raise GoldenError(f"{where}: field 'experts' must be a list of names")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise GoldenError(f"{where}: field 'tags' must be a list of strings")
    must_abstain = data.get("must_abstain", False)
    if not isinstance(must_abstain, bool):
        raise GoldenError(f"{where}: field 'must_abstain' must be true or false")
    filters = data.get("filters", {})
    if not isinstance(filters, dict):
        raise GoldenError(f"{where}: field 'filters' must be an object")
    qid = data.get("id", default_id)
    if not isinstance(qid, str | int) or isinstance(qid, bool):
        raise GoldenError(f"{where}: field 'id' must be a string")
    return GoldenQuestion(
        id=str(qid), question=question.strip(), answer=answer, evidence=spans,
        experts=tuple(experts), must_abstain=must_abstain, filters=filters, tags=tuple(tags),
    )  # fmt: skip


def _optional(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise GoldenError(f"{where}: field {key!r} must be a {kind.__name__}")
    return value


def _evidence(item: Any, where: str) -> EvidenceSpan:
    if not isinstance(item, dict):
        raise GoldenError(f"{where} must be an object like {{\"source\": ..., \"text\": ...}}")
    unknown = sorted(set(item) - EVIDENCE_FIELDS)
    if unknown:
        raise GoldenError(
            f"{where}: unknown key {unknown[0]!r}; valid: {', '.join(sorted(EVIDENCE_FIELDS))}"
        )
    source = item.get("source")
    if not isinstance(source, str) or not source.strip():
        raise GoldenError(f"{where}: 'source' is missing or empty")
    text = item.get("text")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise GoldenError(f"{where}: 'text' must be a non-empty string")
    start, end = item.get("start"), item.get("end")
    if (start is None) != (end is None):
        raise GoldenError(f"{where}: 'start' and 'end' go together")
    if start is not None:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end)):
            raise GoldenError(f"{where}: 'start' and 'end' must be seconds (numbers)")
        if end < start:
            raise GoldenError(f"{where}: 'end' ({end}) is before 'start' ({start})")
    for key in ("page", "slide"):
        value = item.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise GoldenError(f"{where}: {key!r} must be an integer")
    return EvidenceSpan(source.strip(), text, start, end, item.get("page"), item.get("slide"))
