"""BEIR format (Thakur et al., 2021): corpus.jsonl, queries.jsonl, qrels/<split>.tsv.

Each corpus document becomes a Markdown file (`# title`, then the text) named for its id;
each query with a positive judgement becomes a golden question whose evidence is the judged
documents (source only: any passage of a judged document is relevant, as in BEIR).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

from kenning.eval.golden import EvidenceSpan, GoldenQuestion, write_golden

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(doc_id: str) -> str:
    """A safe, unique file name for a document id."""
    safe = UNSAFE.sub("_", doc_id)
    if safe == doc_id:
        return f"{safe}.md"
    return f"{safe}-{hashlib.sha1(doc_id.encode()).hexdigest()[:8]}.md"


def _jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return rows


def prepare(source: Path, out: Path, split: str = "test", limit: int | None = None) -> Path:
    """Write `out/corpus/*.md` and `out/golden.jsonl` from a BEIR data set folder.

    Returns the golden file.

    Raises:
        FileNotFoundError: corpus.jsonl, queries.jsonl or qrels/<split>.tsv is missing.
    """
    qrels_file = source / "qrels" / f"{split}.tsv"
    for needed in (source / "corpus.jsonl", source / "queries.jsonl", qrels_file):
        if not needed.is_file():
            raise FileNotFoundError(f"BEIR file missing: {needed}")
    qrels: dict[str, list[str]] = {}
    with qrels_file.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if int(row.get("score", 1)) > 0:
                qrels.setdefault(row["query-id"], []).append(row["corpus-id"])
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for doc in _jsonl(source / "corpus.jsonl"):
        name = names[str(doc["_id"])] = file_name(str(doc["_id"]))
        title = (doc.get("title") or "").strip()
        body = f"# {title}\n\n{doc.get('text', '')}\n" if title else f"{doc.get('text', '')}\n"
        (corpus / name).write_text(body, encoding="utf-8")
    questions = []
    for query in _jsonl(source / "queries.jsonl"):
        judged = [names[d] for d in qrels.get(str(query["_id"]), []) if d in names]
        if judged:
            questions.append(GoldenQuestion(
                id=str(query["_id"]), question=query["text"],
                evidence=tuple(EvidenceSpan(name) for name in judged), tags=("beir",),
            ))  # fmt: skip
    golden = out / "golden.jsonl"
    write_golden(questions[:limit], golden)
    return golden
