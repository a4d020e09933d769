"""Fit the expert confidence model (`qa/experts.py` CONFIDENCE_WEIGHTS) on golden sets.

Every ranked person of every question is a sample: the ranking's features
(`experts._features`), labelled 1 when the golden set names them. Questions marked
`must_abstain` add negatives (a retrieval that missed should not make anyone "strong"). Each
set weighs the same, whatever its size. Prints the weights to paste, and per set how often
people at each confidence were right.

Usage (each set prepared with `kenning eval prepare`, its knowledge base ingested):
    python -m kenning.bench.fit_expert_confidence \\
        qmsum=.eval/qmsum-val/golden.jsonl:.eval/qmsum-val/kb \\
        keps=.eval/keps/golden.jsonl:.eval/keps/kb \\
        minutes=.eval/minutes/golden.jsonl:.eval/minutes/kb
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from kenning import KnowledgeBase, load_settings
from kenning.eval.golden import load_golden
from kenning.eval.runner import resolve_filters
from kenning.qa import experts
from kenning.schema import Filters

FEATURES = ("log_share", "first", "lead", "gap", "similarity", "said", "owned", "item",
            "named_in_question", "presence")  # fmt: skip


def samples(golden: Path, kb_path: Path) -> tuple[list[list[float]], list[int]]:
    """Features and labels of every ranked person of every question of one set."""
    corpus = golden.parent / "corpus"
    seen: list[dict[str, float]] = []
    spy = experts.confidence_of

    def record(features: dict[str, float]) -> float:
        seen.append(dict(features))
        return spy(features)

    x: list[list[float]] = []
    y: list[int] = []
    experts.confidence_of = record
    try:
        with KnowledgeBase(kb_path, load_settings(home=kb_path)) as kb:
            for question in load_golden(golden):
                if not question.experts and not question.must_abstain:
                    continue
                filters = Filters.from_dict(resolve_filters(question.filters, corpus.resolve()))
                retrieval = kb.qa.retrieve(question.question, experts.EXPERT_HITS, filters)
                seen.clear()
                ranked = experts.rank_all(retrieval, kb.store, 10, question.question)
                gold = {name.lower() for name in question.experts}
                for expert, features in zip(ranked, seen, strict=True):
                    x.append([features[f] for f in FEATURES])
                    y.append(int(expert.name.lower() in gold))
    finally:
        experts.confidence_of = spy
    return x, y


def main(argv: list[str] | None = None) -> None:
    """Fit, print the weights and a reliability table per set."""
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", help="NAME=GOLDEN.jsonl:KB_FOLDER")
    args = parser.parse_args(argv)
    xs, ys, weights, names = [], [], [], []
    for item in args.sets:
        name, _, paths = item.partition("=")
        golden, _, kb = paths.partition(":")
        x, y = samples(Path(golden), Path(kb))
        xs += x
        ys += y
        weights += [1.0 / len(x)] * len(x)
        names += [name] * len(x)
    features, labels = np.array(xs), np.array(ys)
    sample_weight = np.array(weights) / np.mean(weights)
    model = LogisticRegression(max_iter=1000).fit(features, labels, sample_weight=sample_weight)
    fitted = {"bias": model.intercept_[0], **dict(zip(FEATURES, model.coef_[0], strict=True))}
    print("CONFIDENCE_WEIGHTS = {" + ", ".join(f'"{k}": {v:.3f}' for k, v in fitted.items())
          + "}")  # fmt: skip
    predicted = model.predict_proba(features)[:, 1]
    for name in dict.fromkeys(names):
        mask = np.array(names) == name
        for low, high in ((0, 0.15), (0.15, 0.6), (0.6, 1.01)):
            band = mask & (predicted >= low) & (predicted < high)
            if band.any():
                print(f"{name}: confidence [{low:.2f}, {high:.2f}) n={band.sum()} "
                      f"predicted {predicted[band].mean():.2f} right {labels[band].mean():.2f}")


if __name__ == "__main__":
    main()
