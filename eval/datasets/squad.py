"""SQuAD 2.0 (Rajpurkar, Jia and Liang, 2018): articles to Markdown plus a golden set.

Each article becomes one Markdown file (`# Title`, then its paragraphs), and so does each
article of the optional `distractor-articles.json` (text only, ingested beside the others so
that retrieval has to find the right article). Each answerable question becomes a golden
question whose reference is its first gold answer and whose evidence is every distinct gold
answer text in its article: hit@k then means "a passage of the right article holds a gold
answer" (the top-k accuracy of open-domain QA), and the short-answer metrics
(`contains@25w`, `contains@60w`) accept any of them. Unanswerable questions are
`must_abstain`. Questions are tagged `squad`, `answerable` or `unanswerable`, and the article.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kenning.eval.golden import EvidenceSpan, GoldenQuestion, write_golden

QUESTIONS_FILE = "dev-4-articles.json"
DISTRACTORS_FILE = "distractor-articles.json"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(title: str) -> str:
    """The Markdown file of an article title (`Sky_(United_Kingdom)` -> `Sky_United_Kingdom.md`)."""
    return UNSAFE.sub("", title) + ".md"


def article_markdown(article: dict) -> str:
    """An article as Markdown: its title as the heading, then one paragraph per context."""
    title = article["title"].replace("_", " ")
    paragraphs = [" ".join(p["context"].split()) for p in article["paragraphs"]]
    return f"# {title}\n\n" + "\n\n".join(p for p in paragraphs if p) + "\n"


def questions_of(article: dict) -> list[GoldenQuestion]:
    """The golden questions of one article, in the data set's order."""
    source = file_name(article["title"])
    topic = article["title"]
    out: list[GoldenQuestion] = []
    for paragraph in article["paragraphs"]:
        for qa in paragraph["qas"]:
            question = " ".join(qa["question"].split())
            if qa.get("is_impossible") or not qa["answers"]:
                out.append(GoldenQuestion(
                    id=qa["id"], question=question, must_abstain=True,
                    tags=("squad", "unanswerable", topic),
                ))  # fmt: skip
                continue
            answers = list(dict.fromkeys(" ".join(a["text"].split()) for a in qa["answers"]))
            out.append(GoldenQuestion(
                id=qa["id"], question=question, answer=answers[0],
                evidence=tuple(EvidenceSpan(source, text=a) for a in answers if a),
                tags=("squad", "answerable", topic),
            ))  # fmt: skip
    return out


def _articles(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = data["data"] if isinstance(data, dict) else data
    if not isinstance(articles, list):
        raise ValueError(f"{path}: expected SQuAD JSON with a 'data' list of articles")
    return articles


def prepare(source: Path, out: Path, limit: int | None = None) -> Path:
    """Write `out/corpus/*.md` and `out/golden.jsonl` from the squad folder.

    Args:
        source: the folder with `dev-4-articles.json` (articles and questions) and, if
            present, `distractor-articles.json` (articles only); or one SQuAD JSON file.
        out: where to write.
        limit: only the first N articles' questions (every article is still written).

    Returns the golden file.

    Raises:
        FileNotFoundError: no SQuAD JSON with questions at `source`.
    """
    questions_file = source if source.is_file() else source / QUESTIONS_FILE
    if not questions_file.is_file():
        raise FileNotFoundError(f"no SQuAD file {questions_file}")
    articles = _articles(questions_file)
    distractors = source / DISTRACTORS_FILE if source.is_dir() else None
    extra = _articles(distractors) if distractors and distractors.is_file() else []
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for article in [*articles, *extra]:
        (corpus / file_name(article["title"])).write_text(
            article_markdown(article), encoding="utf-8"
        )
    questions = [q for article in articles[:limit] for q in questions_of(article)]
    golden = out / "golden.jsonl"
    write_golden(questions, golden)
    return golden
