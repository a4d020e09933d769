"""Train the abstention model offline and write `qa/abstention_model.py`.

Data: SQuAD 2.0 (`../shared/data/squad`: 4 articles plus 16 distractor articles; an answerable
question is a positive, an unanswerable one a negative) and QMSum train (a specific query asked
of its own meeting is a positive, asked of a meeting of another series a negative). Features
come from the packaged embedding model through the public `KnowledgeBase` (retrieve, then the
extractive answerer's units), exactly as at ask time.

Splits are by article and by meeting, never by question: one SQuAD article and a share of the
meetings are held back for the report; on the rest, out-of-fold probabilities (grouped k-fold)
set the threshold (at most `WRONG_ABSTENTIONS` of answerable questions abstained on), and the
coefficients are fitted on all of it.

French questions get a calibration of their own (`--french`): the FAQ's questions and
questions written for the public-service sheets (`../shared/data/french`) over one knowledge
base of the FAQ's answers and the sheets (positives), the same questions asked of another
document and off-topic French questions (negatives), and French translations of SQuAD
questions over the English SQuAD articles (answerable or not), so that the model also sees a
French question over English passages. Its threshold is set out of fold the same way.
Run:

    python -m kenning.bench.train_abstention ../shared/data --work .eval/abstention
    python -m kenning.bench.train_abstention ../shared/data --work .eval/abstention \
        --french eval/golden/french --write

Cosines depend on the embedding model, so the multilingual model has models of its own
(`qa/abstention_model_multilingual.py`):

    python -m kenning.bench.train_abstention ../shared/data --work .eval/abstention-multilingual \
        --embedding-model multilingual --meetings 20 --french eval/golden/french --write
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kenning import KnowledgeBase, load_settings
from kenning.eval.datasets import qmsum, squad
from kenning.eval.golden import load_golden
from kenning.index.embeddings import MULTILINGUAL_MODEL, answer_embedder
from kenning.qa.abstention import FEATURES, features_of_answer
from kenning.qa.extractive import choose_units
from kenning.qa.question import analyse

WRONG_ABSTENTIONS = 0.05
# The shipped model's features. Held out (wrong abstentions / abstention recall): these four
# 0.015 / 0.279; all of `FEATURES` 0.005 / 0.209 (dense_gap, unit_coverage and type_missing
# add nothing and flip signs); dense_best alone 0.054 / 0.353 but 0.115 wrong on QMSum, whose
# similarities run lower: `transcript` lets the model calibrate transcripts apart.
MODEL_FEATURES = ("dense_best", "unit_cosine", "passage_coverage", "transcript")
# French: no transcripts in its data; `cross_lingual` lets it calibrate a French question over
# English passages apart (an English model's cosines across languages run far lower).
FRENCH_FEATURES = ("dense_best", "unit_cosine", "passage_coverage", "cross_lingual")
HELD_OUT_ARTICLES = ("Victoria_(Australia)",)
HELD_OUT_SHARE = 0.3  # of QMSum meetings
K = 5  # passages retrieved, as `ask` does by default
MODEL_FILE = Path(__file__).resolve().parent.parent / "qa" / "abstention_model.py"
# Cosines depend on the embedding model: each has its models; the multilingual one's file.
MODEL_FILES = {MULTILINGUAL_MODEL: MODEL_FILE.with_name("abstention_model_multilingual.py")}
EMBEDDING: list[str | None] = [None]  # the embedding model trained for (None: the default)


@dataclass
class Example:
    """One question asked of one scope, its features and whether the scope answers it."""

    question: str
    group: str  # article or meeting: splits never cut one
    source: str  # squad or qmsum
    answers: bool
    features: dict[str, float]


def _knowledge_base(path: Path) -> KnowledgeBase:
    """A knowledge base of the embedding model trained for."""
    return KnowledgeBase(path, load_settings(home=path, git_history=False,
                                             embedding_model=EMBEDDING[0]))  # fmt: skip


def examples_of(kb: KnowledgeBase, asked: list[tuple[str, dict[str, Any], bool, str, str]]
                ) -> list[Example]:  # fmt: skip
    """Features of each (question, filters, answers, group, source), as `ask` would see them."""
    from tqdm import tqdm

    out = []
    for question, filters, answers, group, source in tqdm(asked, desc="features", unit="q"):
        retrieval = kb.retrieve(question, k=K, filters=filters)
        analysis = analyse(question)
        extract = choose_units(analysis, retrieval.hits, kb.embedder,
                               units=answer_embedder(kb.embedder, kb.settings))
        features = features_of_answer(
            analysis, retrieval.hits,
            [retrieval.dense_scores.get(r, 0.0) for r in retrieval.rowids], extract,
        )  # fmt: skip
        out.append(Example(question, group, source, answers, features.as_dict()))
    return out


def squad_examples(data: Path, work: Path) -> list[Example]:
    """Every SQuAD question against the 20 articles."""
    golden = squad.prepare(data / "squad", work / "squad")
    kb_path = work / "squad" / "kb"
    asked = [(q.question, {}, not q.must_abstain, q.tags[-1], "squad")
             for q in load_golden(golden)]  # fmt: skip
    with _knowledge_base(kb_path) as kb:
        kb.ingest([work / "squad" / "corpus"])
        return examples_of(kb, asked)


def qmsum_examples(data: Path, work: Path, meetings: int, seed: int) -> list[Example]:
    """QMSum train queries against their own meeting and against another series' meeting."""
    files = sorted((data / "qmsum" / "train").glob("*.json"))
    random.Random(seed).shuffle(files)
    chosen = sorted(files[:meetings])
    split = work / "qmsum-split"
    shutil.rmtree(split, ignore_errors=True)
    split.mkdir(parents=True)
    for path in chosen:
        shutil.copy(path, split / path.name)
    golden = load_golden(qmsum.prepare(split, work / "qmsum", away=False))
    names = [p.stem for p in chosen]
    rng = random.Random(seed)
    asked = []
    for q in golden:
        meeting = q.id.rsplit("-", 1)[0]
        others = [n for n in names if _series(n) != _series(meeting)]
        asked.append((q.question, {"source_prefix": str(work / "qmsum" / "corpus" /
                      f"{meeting}.vtt")}, True, meeting, "qmsum"))  # fmt: skip
        away = rng.choice(others)
        asked.append((q.question, {"source_prefix": str(work / "qmsum" / "corpus" /
                      f"{away}.vtt")}, False, meeting, "qmsum"))  # fmt: skip
    kb_path = work / "qmsum" / "kb"
    with _knowledge_base(kb_path) as kb:
        kb.ingest([work / "qmsum" / "corpus"])
        return examples_of(kb, asked)


def french_examples(data: Path, questions: Path, work: Path, seed: int,
                    built: tuple[Path, Path] | None = None) -> list[Example]:  # fmt: skip
    """French questions: over the FAQ's answers and the sheets, and over SQuAD's articles.

    `questions` holds `fiches.json` (question, fiche), `offtopic.txt` (one a line) and
    `squad.jsonl` (id and question: French translations of SQuAD questions). `built` is the
    (corpus, knowledge base) of the same documents built already (`bench/french.py` builds
    them the same way): the slow multilingual model then embeds them once.
    """
    french = data / "french"
    faq = json.loads((french / "crpa-faq.json").read_text(encoding="utf-8"))["data"]
    corpus, kb_path = built or (work / "french" / "corpus", work / "french" / "kb")
    if built is None:
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir(parents=True)
        for i, item in enumerate(faq):  # the answer only: the title is the question
            (corpus / f"faq-{i:02d}.txt").write_text(item["paragraphs"][0]["context"],
                                                     encoding="utf-8")  # fmt: skip
        for path in sorted((french / "dila-fiches").glob("*.md")):
            shutil.copy(path, corpus / path.name)
    pairs = [(item["paragraphs"][0]["qas"][0]["question"], f"faq-{i:02d}.txt")
             for i, item in enumerate(faq)]  # fmt: skip
    pairs += [(q["question"], q["fiche"])
              for q in json.loads((questions / "fiches.json").read_text(encoding="utf-8"))]
    names = sorted(p.name for p in corpus.iterdir())
    rng = random.Random(seed)
    asked = []
    for question, name in pairs:
        asked.append((question, {}, True, name, "fr"))
        away = rng.choice([n for n in names if n != name])
        asked.append((question, {"source_prefix": str(corpus / away)}, False, name, "fr"))
    offtopic = (questions / "offtopic.txt").read_text(encoding="utf-8").splitlines()
    asked += [(q, {}, False, f"offtopic-{i}", "fr") for i, q in enumerate(offtopic) if q]
    with _knowledge_base(kb_path) as kb:
        kb.ingest([corpus])
        out = examples_of(kb, asked)
    golden = {q.id: q for q in load_golden(squad.prepare(data / "squad", work / "squad"))}
    translated = [json.loads(line) for line in
                  (questions / "squad.jsonl").read_text(encoding="utf-8").splitlines()]  # fmt: skip
    asked = [(t["question"], {}, not golden[t["id"]].must_abstain,
              "squad-" + golden[t["id"]].tags[-1], "fr-en") for t in translated]  # fmt: skip
    kb_path = work / "squad" / "kb"
    with _knowledge_base(kb_path) as kb:
        kb.ingest([work / "squad" / "corpus"])
        return out + examples_of(kb, asked)


def _series(meeting: str) -> str:
    """The series of a QMSum meeting: ES2002a -> ES, Bed003 -> Bed, covid_7 -> covid."""
    return meeting.rstrip("abcd0123456789_")


def rates(p_no: np.ndarray, answers: np.ndarray, threshold: float) -> dict[str, float]:
    """Wrong-abstention rate on answerable questions and abstention recall on the others."""
    abstain = p_no >= threshold
    return {
        "wrong_abstention": float(abstain[answers].mean()) if answers.any() else 0.0,
        "abstain_recall": float(abstain[~answers].mean()) if (~answers).any() else 0.0,
        "answerable": int(answers.sum()), "unanswerable": int((~answers).sum()),
    }  # fmt: skip


def fit(examples: list[Example], features: tuple[str, ...]) -> dict[str, Any]:
    """Standardised logistic regression (scikit-learn); datasets weigh the same."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[e.features[f] for f in features] for e in examples])
    y = np.array([e.answers for e in examples])
    counts = {s: sum(e.source == s for e in examples) for s in {e.source for e in examples}}
    weights = np.array([len(examples) / (len(counts) * counts[e.source]) for e in examples])
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit((x - mean) / scale, y, sample_weight=weights)
    return {"features": list(features), "mean": mean.round(6).tolist(),
            "scale": scale.round(6).tolist(), "coef": model.coef_[0].round(6).tolist(),
            "intercept": round(float(model.intercept_[0]), 6)}  # fmt: skip


def p_no_answer(model: dict[str, Any], examples: list[Example]) -> np.ndarray:
    """The fitted model's probability of no answer for each example."""
    x = np.array([[e.features[f] for f in model["features"]] for e in examples])
    z = ((x - np.array(model["mean"])) / np.array(model["scale"])) @ np.array(model["coef"])
    return 1.0 / (1.0 + np.exp(z + model["intercept"]))


def out_of_fold(examples: list[Example], features: tuple[str, ...], folds: int = 5) -> np.ndarray:
    """Each example's probability from a model fitted without its group."""
    from sklearn.model_selection import GroupKFold

    groups = [e.group for e in examples]
    p = np.zeros(len(examples))
    for train, test in GroupKFold(n_splits=folds).split(examples, groups=groups):
        model = fit([examples[i] for i in train], features)
        p[test] = p_no_answer(model, [examples[i] for i in test])
    return p


def threshold_for(p_no: np.ndarray, answers: np.ndarray) -> float:
    """The lowest threshold that abstains on at most WRONG_ABSTENTIONS of answerable ones."""
    positives = np.sort(p_no[answers])
    index = int(np.floor(len(positives) * (1 - WRONG_ABSTENTIONS)))
    return float(positives[min(index, len(positives) - 1)] + 1e-6)


def write_model(models: dict[str, dict[str, Any]], reports: dict[str, dict[str, Any]]) -> None:
    """Write `qa/abstention_model.py`: the English model as `MODEL`, the others as
    `<LANGUAGE>_MODEL`, all in `MODELS` by language; the reports as its doc."""
    short = {"wrong_abstention": "wrong", "abstain_recall": "recall", "answerable": "n+",
             "unanswerable": "n-"}  # fmt: skip
    held = []
    for language, report in reports.items():
        prefix = "" if language == "en" else f"{language} "
        held += [f"    {prefix}{name}: " + ", ".join(
            f"{short[k]} {v:.3f}" if isinstance(v, float) else f"{short[k]} {v}"
            for k, v in rates.items()) for name, rates in report.items()
            if isinstance(rates, dict)]  # fmt: skip
    constants = []
    for language, model in models.items():
        name = "MODEL" if language == "en" else f"{language.upper()}_MODEL"
        body = "\n".join(f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in model.items())
        constants.append(f"{name}: dict[str, Any] = {{\n{body}\n}}\n")
    by_language = ", ".join(f'"{language}": ' + ("MODEL" if language == "en" else
                            f"{language.upper()}_MODEL") for language in models)  # fmt: skip
    embedding = EMBEDDING[0]
    text = (
        '"""The abstention models' + (f" of the {embedding} embedding model,\n" if embedding
                                      else ", ")  # fmt: skip
        + 'written by `bench/train_abstention.py` (do not edit).\n\n'
        "Thresholds chosen out of fold for at most 5% wrong abstentions on answerable\n"
        "development questions of each language; rates on articles, meetings and documents\n"
        "never seen in training:\n\n"
        + "\n".join(held) + '\n"""\n\nfrom __future__ import annotations\n\n'
        "from typing import Any\n\n" + "\n".join(constants)
        + f"\nMODELS: dict[str, dict[str, Any]] = {{{by_language}}}\n"
    )  # fmt: skip
    MODEL_FILES.get(embedding or "", MODEL_FILE).write_text(text, encoding="utf-8")


def train(
    examples: list[Example], features: tuple[str, ...] = MODEL_FEATURES
) -> dict[str, Any]:
    """Fit on the development groups, set the threshold out of fold, report the held-out ones
    (SQuAD's held-out article and a share of QMSum's meetings, or of French documents)."""
    meetings = sorted({e.group for e in examples if e.source in ("qmsum", "fr")})
    random.Random(7).shuffle(meetings)
    held = ({f"squad-{a}" for a in HELD_OUT_ARTICLES} | set(HELD_OUT_ARTICLES)
            | set(meetings[: int(len(meetings) * HELD_OUT_SHARE)]))  # fmt: skip
    dev = [e for e in examples if e.group not in held]
    test = [e for e in examples if e.group in held]
    dev_y = np.array([e.answers for e in dev])
    oof = out_of_fold(dev, features)
    threshold = threshold_for(oof, dev_y)
    model = {**fit(dev, features), "threshold": round(threshold, 6)}
    p_test = p_no_answer(model, test)
    test_y = np.array([e.answers for e in test])
    report: dict[str, Any] = {"threshold": model["threshold"],
                              "development_out_of_fold": rates(oof, dev_y, threshold),
                              "held_out": rates(p_test, test_y, threshold)}  # fmt: skip
    for source in ("squad", "qmsum", "fr", "fr-en"):
        mask = np.array([e.source == source for e in test])
        if mask.any():
            report[f"held_out_{source}"] = rates(p_test[mask], test_y[mask], threshold)
    return {"model": model, "report": report}


def main() -> None:
    """Command line: build features (or reuse a saved file), train, write the model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the folder with squad/ and qmsum/")
    parser.add_argument("--work", type=Path, default=Path(".eval/abstention"))
    parser.add_argument("--meetings", type=int, default=40, help="QMSum train meetings")
    parser.add_argument("--features", default=",".join(MODEL_FEATURES),
                        help=f"of: {', '.join(FEATURES)}")
    parser.add_argument("--french", type=Path, default=None,
                        help="folder of French questions (fiches.json, offtopic.txt, squad.jsonl)")
    parser.add_argument("--embedding-model", default=None,
                        help=f"train for this embedding model (e.g. {MULTILINGUAL_MODEL}); "
                             "its models go to their own file")
    parser.add_argument("--french-built", type=Path, nargs=2, default=None,
                        metavar=("CORPUS", "KB"),
                        help="the French corpus and its knowledge base, built already")
    parser.add_argument("--write", action="store_true", help="write qa/abstention_model.py")
    args = parser.parse_args()
    EMBEDDING[0] = args.embedding_model
    saved = args.work / "examples.json"
    if saved.is_file():
        examples = [Example(**e) for e in json.loads(saved.read_text(encoding="utf-8"))]
    else:
        examples = squad_examples(args.data, args.work)
        examples += qmsum_examples(args.data, args.work, args.meetings, seed=13)
        saved.write_text(json.dumps([e.__dict__ for e in examples]), encoding="utf-8")
    results = {"en": train(examples, tuple(args.features.split(",")))}
    if args.french:
        saved = args.work / "examples-fr.json"
        if saved.is_file():
            french = [Example(**e) for e in json.loads(saved.read_text(encoding="utf-8"))]
        else:
            french = french_examples(args.data, args.french, args.work, seed=13,
                                     built=tuple(args.french_built) if args.french_built else None)
            saved.write_text(json.dumps([e.__dict__ for e in french]), encoding="utf-8")
        results["fr"] = train(french, FRENCH_FEATURES)
        if args.embedding_model:
            # A multilingual model's cosines mean the same in both languages: its English
            # calibration learns from the French questions too (their off-topic ones above
            # all). Held out, QMSum abstention recall 0.00 -> 0.54 at 4% wrong abstentions.
            results["en"] = train(examples + french, FRENCH_FEATURES)
    print(json.dumps(results, indent=1))
    if args.write:
        write_model({k: r["model"] for k, r in results.items()},
                    {k: r["report"] for k, r in results.items()})  # fmt: skip


if __name__ == "__main__":
    main()
