"""French and cross-lingual retrieval, per embedding model: one table per run.

Sets (questions in `eval/golden/french/`, documents in `../shared/data`):

- **fiches**: 59 French questions written for 94 public-service sheets; hit = the sheet.
- **faq**: the 38 questions of the French FAQ over its answers (one document each; its two
  entries under one question each count for it).
- **squad fr→en**: 48 French translations of SQuAD questions over the 20 English articles; hit =
  a passage holding a gold answer. **squad en** is the same 48 in their original English.
- **guide x→y**: 44 questions about the bilingual guide (French about English paragraphs and
  English about French ones); hit = the passage holding the evidence. **guide same** asks the
  same questions in the paragraph's own language.

Cross-lingual ratio = hit@5 across languages / hit@5 in the documents' language.

With `--answers`, the sheet questions are also asked (`KnowledgeBase.ask`): answered = not
abstained and the answer holds one of the question's key facts (`facts` in `fiches.json`,
verbatim from its sheet); cited = the first citation is the sheet.

With `--baselines`, the same sets over the common pipelines of `kenning.eval.baselines`:
`langchain` (RecursiveCharacterTextSplitter(1000, 200) + all-MiniLM-L6-v2 + FAISS) and `bm25`
(rank-bm25 over the same chunks), whose hits are those chunks.

Run:

    python -m kenning.bench.french ../shared/data --work .eval/french \
        --models all-MiniLM-L6-v2,multilingual --baselines
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from kenning import KnowledgeBase, load_settings
from kenning.eval.baselines import BaselineIndex, Passage, load_texts
from kenning.eval.datasets import squad
from kenning.eval.golden import load_golden
from kenning.schema import Hit

GOLDEN = Path(__file__).resolve().parent.parent / "eval" / "golden" / "french"
K = 10
SPACE = re.compile(r"\s+")


@dataclass
class Question:
    """One question and how to recognise a hit that answers it."""

    text: str
    source: str = ""  # the file name of the document that answers (document-level sets)
    evidence: tuple[str, ...] = ()  # strings of which one must be in the passage
    also: tuple[str, ...] = ()  # other documents that answer it as well
    facts: tuple[str, ...] = ()  # what an answer must state, one of them (answer checks)


def _norm(text: str) -> str:
    return SPACE.sub(" ", text.replace("\u2019", "'")).strip().lower()


def is_hit(question: Question, hit: Hit | Passage) -> bool:
    """The hit answers: it comes from the document, or holds one of the evidence strings."""
    if question.source:
        return Path(hit.source).name in (question.source, *question.also)
    text = _norm(hit.text)
    return any(_norm(e) in text for e in question.evidence)


def french_corpus(data: Path, out: Path) -> tuple[list[Question], list[Question]]:
    """The sheets and the FAQ's answers in one folder; the fiches and FAQ questions."""
    french = data / "french"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    faq = json.loads((french / "crpa-faq.json").read_text(encoding="utf-8"))["data"]
    asked: dict[str, list[str]] = {}  # question -> the files of its answers
    for i, item in enumerate(faq):  # the answer only: the title is the question
        paragraph = item["paragraphs"][0]
        (out / f"faq-{i:02d}.txt").write_text(paragraph["context"], encoding="utf-8")
        asked.setdefault(_norm(paragraph["qas"][0]["question"]), []).append(f"faq-{i:02d}.txt")
    faq_questions = []
    for item in faq:  # a question the FAQ answers twice (two entries) is answered by either
        text = item["paragraphs"][0]["qas"][0]["question"]
        files = asked[_norm(text)]
        faq_questions.append(Question(text, files[0], also=tuple(files[1:])))
    for path in sorted((french / "dila-fiches").glob("*.md")):
        shutil.copy(path, out / path.name)
    fiches = [Question(q["question"], q["fiche"], facts=tuple(q.get("facts", ()))) for q in
              json.loads((GOLDEN / "fiches.json").read_text(encoding="utf-8"))]  # fmt: skip
    return fiches, faq_questions


def squad_questions(data: Path, work: Path) -> tuple[Path, list[Question], list[Question]]:
    """The SQuAD corpus, and the translated answerable questions in French and in English."""
    golden = {q.id: q for q in load_golden(squad.prepare(data / "squad", work / "squad"))}
    french, english = [], []
    for line in (GOLDEN / "squad.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        original = golden[item["id"]]
        if original.must_abstain:
            continue
        evidence = tuple(e.text for e in original.evidence) or (original.answer,)
        french.append(Question(item["question"], evidence=evidence))
        english.append(Question(original.question, evidence=evidence))
    return work / "squad" / "corpus", french, english


def guide_questions(data: Path, out: Path) -> tuple[list[Question], list[Question]]:
    """The guide in its own folder; its questions across languages and in the paragraph's."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copy(data / "french" / "seed-knowledge-sharing.txt", out)
    across, same = [], []
    for line in (GOLDEN / "guide.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        across.append(Question(item["question"], evidence=(item["evidence"],)))
        same.append(Question(item["question_doc_lang"], evidence=(item["evidence"],)))
    return across, same


def score(search: Callable[[str], list[Hit] | list[Passage]],
          questions: list[Question]) -> dict[str, float]:  # fmt: skip
    """hit@1, hit@5, MRR@10 and the search time's median over the questions, for a search
    function (a question -> its K best passages)."""
    ranks, times = [], []
    for question in questions:
        started = time.perf_counter()
        hits = search(question.text)
        times.append(time.perf_counter() - started)
        ranks.append(next((i + 1 for i, h in enumerate(hits) if is_hit(question, h)), None))
    n = len(questions)
    return {
        "n": n,
        "hit@1": sum(1 for r in ranks if r == 1) / n,
        "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr@10": sum(1 / r for r in ranks if r) / n,
        "search_ms": 1000 * statistics.median(times),
    }


def answer_score(kb: KnowledgeBase, questions: list[Question]) -> dict[str, float]:
    """Of the questions with key facts: the share answered with one of them, cited from the
    right document first, and abstained; and the median time to answer."""
    asked = [q for q in questions if q.facts]
    answered = cited = abstained = 0
    times = []
    for question in asked:
        started = time.perf_counter()
        response = kb.ask(question.text)
        times.append(time.perf_counter() - started)
        abstained += response.abstained
        if not response.abstained:
            answered += states(response.answer, question.facts)
            first = response.citations[0].source if response.citations else ""
            cited += Path(first).name in (question.source, *question.also)
    n = len(asked) or 1
    return {"n": len(asked), "answered": answered / n, "cited": cited / n,
            "abstained": abstained / n, "ask_ms": 1000 * statistics.median(times or [0.0])}


def states(text: str, facts: tuple[str, ...]) -> bool:
    """The text holds one of the facts, both with whitespace, case and apostrophes evened."""
    return any(_norm(fact) in _norm(text) for fact in facts)


def baseline_rows(corpus: Path, sets: tuple[tuple[str, list[Question]], ...],
                  embedder: object) -> list[dict[str, object]]:  # fmt: skip
    """The LangChain pipeline's and BM25's rows on the sets of one corpus."""
    texts, _skipped = load_texts(corpus)
    index = BaselineIndex.build(texts, embedder)
    rows: list[dict[str, object]] = []
    for method in ("langchain", "bm25"):
        seconds = index.prepare([method], [None])  # embedding or BM25 statistics
        for label, questions in sets:
            found = score(lambda text, m=method: index.search(m, text, K, None), questions)
            rows.append({"model": method, "set": label, "chunks": len(index.passages),
                         "ingest_s": seconds, **found})  # fmt: skip
            print(_row(rows[-1]), flush=True)
    return rows


def build(path: Path, model: str, corpus: Path, reuse: bool = False) -> tuple[KnowledgeBase, float]:
    """A knowledge base of `corpus` embedded with `model`, fresh unless `reuse` (an earlier
    run's, brought up to date), and the ingest's seconds."""
    if not reuse:
        shutil.rmtree(path, ignore_errors=True)
    kb = KnowledgeBase(path, load_settings(home=path, embedding_model=model, git_history=False))
    started = time.perf_counter()
    kb.ingest([corpus])
    return kb, time.perf_counter() - started


def run(data: Path, work: Path, models: list[str], reuse: bool = False,
        baselines: bool = False, answers: bool = False) -> list[dict[str, object]]:  # fmt: skip
    """Every set for every model, and for the baselines and the answers when asked."""
    fiches, faq = french_corpus(data, work / "corpus" / "french")
    squad_corpus, squad_fr, squad_en = squad_questions(data, work / "corpus")
    plan = [("french", work / "corpus" / "french", (("fiches", fiches), ("faq", faq))),
            ("squad", squad_corpus, (("squad fr→en", squad_fr), ("squad en", squad_en)))]
    if (GOLDEN / "guide.jsonl").exists():
        across, same = guide_questions(data, work / "corpus" / "guide")
        plan.append(("guide", work / "corpus" / "guide",
                     (("guide across", across), ("guide same", same))))  # fmt: skip
    rows: list[dict[str, object]] = []
    if baselines:
        from kenning.index.embeddings import create_embedder

        embedder = create_embedder(load_settings(embedding_model="all-MiniLM-L6-v2"))
        for _name, corpus, sets in plan:
            rows += baseline_rows(corpus, sets, embedder)
    for model in models:
        slug = model.replace("/", "_")
        for name, corpus, sets in plan:
            kb, seconds = build(work / slug / name, model, corpus, reuse)
            with kb:
                chunks = kb.stats()["chunks"]
                for label, questions in sets:
                    rows.append({"model": model, "set": label, "chunks": chunks,
                                 "ingest_s": seconds,
                                 **score(partial(kb.search, k=K), questions)})  # fmt: skip
                    print(_row(rows[-1]), flush=True)
                if answers and name == "french":
                    rows.append({"model": model, "set": "fiches answers", "chunks": chunks,
                                 **answer_score(kb, fiches)})  # fmt: skip
                    print(_answer_row(rows[-1]), flush=True)
    return rows


def _answer_row(row: dict[str, object]) -> str:
    return (f"| {row['model']} | answers: {row['n']} sheet questions | answered "
            f"{row['answered']:.3f} | cited {row['cited']:.3f} | abstained "
            f"{row['abstained']:.3f} | ask ms p50 {row['ask_ms']:.0f} |")  # fmt: skip


def _row(row: dict[str, object]) -> str:
    return (f"| {row['model']} | {row['set']} | {row['n']} | {row['hit@1']:.3f} | "
            f"{row['hit@5']:.3f} | {row['mrr@10']:.3f} | {row['chunks']} | "
            f"{row['ingest_s']:.1f} | {row['search_ms']:.0f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder (french/, squad/)")
    parser.add_argument("--work", type=Path, default=Path(".eval/french"))
    parser.add_argument("--models", default="all-MiniLM-L6-v2,multilingual")
    parser.add_argument("--baselines", action="store_true",
                        help="also the LangChain pipeline (MiniLM) and BM25 on every set")
    parser.add_argument("--answers", action="store_true",
                        help="also ask the sheet questions and check their answers' key facts")
    parser.add_argument("--reuse", action="store_true",
                        help="bring an earlier run's knowledge bases up to date (ingest s: that)")
    args = parser.parse_args()
    print("| model | set | n | hit@1 | hit@5 | MRR@10 | chunks | ingest s | search ms p50 |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = run(args.data, args.work, [m for m in args.models.split(",") if m], args.reuse,
               args.baselines, args.answers)  # fmt: skip
    by = {(r["model"], r["set"]): r for r in rows}
    for model in args.models.split(","):
        for across, same in (("squad fr→en", "squad en"), ("guide across", "guide same")):
            if (model, across) not in by:
                continue
            a, s = by[(model, across)]["hit@5"], by[(model, same)]["hit@5"]
            print(f"{model}: {across} / {same} hit@5 = {a:.3f} / {s:.3f} = "
                  f"{a / s if s else 0:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
