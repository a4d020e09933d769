"""Calibrated abstention: the probability that the retrieved passages do not answer a question.

A logistic regression over features known at ask time, from what retrieval and the answerer
already computed: the best dense cosine of a passage and its gap to the next one, the best
cosine of an answer unit, how much of the question's rarer terms the best passage and the best
unit hold (IDF over the retrieved passages, so a distinctive word found nowhere weighs most),
whether the expected answer type (a number, a date, a name...) appears at all, and whether
the passages are transcripts (whose similarities run lower than documents').
It was trained offline with scikit-learn by `bench/train_abstention.py` on SQuAD 2.0 (its
unanswerable questions as negatives) and QMSum train (a query asked of its own meeting, or of a
meeting of another series); the coefficients and the threshold live in `abstention_model.py`.
Nothing here needs scikit-learn. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

from kenning.qa.abstention_model import MODEL
from kenning.qa.extractive import Extract, candidate_units
from kenning.qa.question import (
    QuestionAnalysis,
    coverage,
    holds_answer_type,
    stems_of,
    term_weights,
)
from kenning.qa.units import sentences_of
from kenning.schema import Hit

COVERED_PASSAGES = 3  # coverage is the best over this many top passages


@dataclass(frozen=True)
class AbstentionFeatures:
    """What the abstention model looks at (all in [0, 1] or cosine units).

    Attributes:
        dense_best: the best cosine between the question and a retrieved passage.
        dense_gap: that cosine minus the second best.
        unit_cosine: the best cosine between the question and an answer unit.
        passage_coverage: the best IDF-weighted share of question terms a top passage holds.
        unit_coverage: the same for the best unit (or sentence) of the top passages.
        type_missing: 1 when the question expects a typed answer (a number, a date, a name...)
            and no unit of the top passages holds one.
        transcript: the share of the top passages that are transcripts (their similarities
            run lower than documents', so the model calibrates them apart).
    """

    dense_best: float
    dense_gap: float
    unit_cosine: float
    passage_coverage: float
    unit_coverage: float
    type_missing: float
    transcript: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """The features by name."""
        return {f.name: float(v) for f, v in zip(fields(self), astuple(self), strict=True)}


FEATURES = tuple(f.name for f in fields(AbstentionFeatures))


def features_of(
    analysis: QuestionAnalysis,
    passages: Sequence[str],
    dense_scores: Sequence[float],
    units: Sequence[str] = (),
    unit_cosine: float | None = None,
    kinds: Sequence[str] = (),
) -> AbstentionFeatures:
    """The abstention features of one question and what was retrieved for it.

    Args:
        analysis: the question's analysis (`qa.question.analyse`).
        passages: the retrieved passages' texts, best first.
        dense_scores: the cosine of each passage to the question, in the same order.
        units: the texts of the candidate answer units of the top passages (as the extractive
            answerer made them); the passages' sentences when omitted.
        unit_cosine: the best cosine of a unit to the question (`Extract.best_cosine`); the
            best passage cosine when omitted.
        kinds: each passage's document kind (`Hit.kind`), in the same order.
    """
    ranked = sorted(dense_scores, reverse=True)
    best = ranked[0] if ranked else 0.0
    gap = best - ranked[1] if len(ranked) > 1 else best
    stems = [stems_of(p) for p in passages]
    weights = term_weights(analysis.terms, stems)
    top = passages[:COVERED_PASSAGES]
    texts = list(units) or [s for p in top for s in sentences_of(p)]
    unit_stems = [stems_of(t) for t in texts]
    typed = holds_answer_type("", analysis.answer_type)  # no form of its own: always held
    found = typed or any(holds_answer_type(t, analysis.answer_type) for t in texts)
    return AbstentionFeatures(
        dense_best=best,
        dense_gap=gap,
        unit_cosine=best if unit_cosine is None else unit_cosine,
        passage_coverage=max((coverage(weights, s) for s in stems[:COVERED_PASSAGES]),
                             default=0.0),  # fmt: skip
        unit_coverage=max((coverage(weights, s) for s in unit_stems), default=0.0),
        type_missing=0.0 if found else 1.0,
        transcript=sum(k == "transcript" for k in kinds[:COVERED_PASSAGES])
        / max(1, min(len(kinds), COVERED_PASSAGES)),
    )


def features_of_answer(
    analysis: QuestionAnalysis, hits: Sequence[Hit], dense_scores: Sequence[float],
    extract: Extract,
) -> AbstentionFeatures:  # fmt: skip
    """The features as answering has them: the retrieved hits with their dense cosines, and
    what the extractive answerer (`choose_units`) found.

    Args:
        analysis: the question's analysis.
        hits: the retrieved passages, best first.
        dense_scores: the cosine of each hit to the question (`Retrieval.dense_scores` by
            `Retrieval.rowids`).
        extract: the extractive answerer's result for these hits.
    """
    # The answerer split the passages into units already; split them here only for an
    # Extract made without them.
    made = extract.candidates or candidate_units(list(hits[:COVERED_PASSAGES]))
    units = [u.plain for u in made if u.hit_index < COVERED_PASSAGES]
    return features_of(analysis, [h.text for h in hits], dense_scores, units,
                       extract.best_cosine, [h.kind for h in hits])  # fmt: skip


@dataclass(frozen=True)
class LogisticModel:
    """A logistic regression over standardised features: log-odds that the passages answer."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float  # abstain at or above this probability of no answer

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogisticModel:
        """The model from its dict form (`abstention_model.MODEL`).

        Raises:
            ValueError: it names a feature `AbstentionFeatures` does not have.
        """
        unknown = sorted(set(data["features"]) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown feature {unknown[0]!r}; valid: {', '.join(FEATURES)}")
        return cls(
            tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
            tuple(data["coef"]), float(data["intercept"]), float(data["threshold"]),
        )  # fmt: skip


DEFAULT_MODEL = LogisticModel.from_dict(MODEL)


def abstain_probability(
    features: AbstentionFeatures, model: LogisticModel = DEFAULT_MODEL
) -> float:
    """The model's probability that the passages do not answer the question."""
    values = features.as_dict()
    z = model.intercept + sum(
        coef * (values[name] - mean) / scale
        for name, coef, mean, scale in zip(model.features, model.coef, model.mean, model.scale,
                                           strict=True)
    )  # fmt: skip
    return 1.0 / (1.0 + math.exp(z))


def should_abstain(features: AbstentionFeatures, model: LogisticModel = DEFAULT_MODEL) -> bool:
    """True when the probability that the passages do not answer reaches the threshold."""
    return abstain_probability(features, model) >= model.threshold
