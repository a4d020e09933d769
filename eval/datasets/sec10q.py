"""SEC 10-Q questions (docugami KG-RAG-datasets): 8 quarterly reports as PDF, 79 questions.

No evidence spans are given, only the documents a question draws on (`Source Docs`, a
pattern such as `*MSFT*` or `*2023 Q3 INTC*`): evidence is those documents (source only), so
hit@k means "a passage of a right report is in the top k" — with 4 reports per company, a weak
signal. Reference answers end with a `SOURCE(S):` line, which is dropped before ROUGE and
token F1. Questions are tagged with the company, the question type and the chunk type.
"""

from __future__ import annotations

import csv
import fnmatch
import re
import shutil
from pathlib import Path

from kenning.eval.golden import EvidenceSpan, GoldenQuestion, write_golden

SOURCES_LINE = re.compile(r"\n*\s*SOURCE\(S\):.*\Z", re.S)


def prepare(source: Path, out: Path, company: str | None = None) -> Path:
    """Write `out/corpus/*.pdf` and `out/golden.jsonl` from the sec10q folder.

    Args:
        source: the folder with `questions.csv` and `docs/`.
        out: where to write.
        company: only this ticker's questions and reports (MSFT or INTC).

    Raises:
        FileNotFoundError: questions.csv or the PDFs are missing.
    """
    table = source / "questions.csv"
    docs = sorted((source / "docs").glob("*.pdf"))
    if not table.is_file() or not docs:
        raise FileNotFoundError(f"expected {table} and PDFs in {source / 'docs'}")
    if company:
        docs = [d for d in docs if company.upper() in d.name]
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        if not (corpus / doc.name).exists():
            shutil.copy2(doc, corpus / doc.name)
    names = [d.name for d in docs]
    questions = []
    with table.open(encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            pattern = row["Source Docs"].strip()
            matched = [n for n in names if fnmatch.fnmatch(n, pattern)
                       or fnmatch.fnmatch(n, pattern + ".pdf")]  # fmt: skip
            if not matched:
                continue
            ticker = "MSFT" if "MSFT" in pattern else "INTC" if "INTC" in pattern else "other"
            questions.append(GoldenQuestion(
                id=f"sec10q-{number}", question=row["Question"].strip(),
                answer=SOURCES_LINE.sub("", row["Answer"]).strip() or None,
                evidence=tuple(EvidenceSpan(n) for n in matched),
                tags=(ticker, row["Question Type"].strip(), row["Source Chunk Type"].strip()),
            ))  # fmt: skip
    golden = out / "golden.jsonl"
    write_golden(questions, golden)
    return golden
