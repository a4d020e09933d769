"""Calibrated abstention: the probability that the retrieved passages do not answer a question.

A logistic regression over features known at ask time, from what retrieval and the answerer
already computed: the best dense cosine of a passage and its gap to the next one, the best
cosine of an answer unit, how much of the question's rarer terms the best passage and the best
unit hold (IDF over the retrieved passages, so a distinctive word found nowhere weighs most),
whether the expected answer type (a number, a date, a name...) appears at all, whether the
passages are transcripts (whose similarities run lower than documents'), and whether they are
in another language than the question (an English embedding model's cosine between a French
question and an English passage runs far lower than between two English texts).

Features follow the question's language: a French question's terms and the passages are
stemmed with the French Snowball stemmer (accents folded, as lexical search does), an English
one's with the crude English stemmer; each language has its own calibration (`MODELS`), fitted
on questions in that language, the English one on English questions only.
It was trained offline with scikit-learn by `bench/train_abstention.py` on SQuAD 2.0 (its
unanswerable questions as negatives) and QMSum train (a query asked of its own meeting, or of a
meeting of another series), the French one on French questions over French and English passages;
the coefficients and the thresholds live in `abstention_model.py`. The multilingual embedding
model has its own calibration (`abstention_model_multilingual.py`), trained the same way.
Nothing here needs scikit-learn. Pure functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

from kenning.index.analysers import french_terms
from kenning.index.embeddings import MULTILINGUAL_MODEL
from kenning.qa.abstention_model import MODELS
from kenning.qa.abstention_model_multilingual import MODELS as MULTILINGUAL
from kenning.qa.extractive import Extract, candidate_units
from kenning.qa.question import (
    QuestionAnalysis,
    coverage,
    detect_language,
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
        cross_lingual: the share of the top passages in a known language other than the
            question's.
        language: the question's language, which picks the calibration (not a feature).
    """

    dense_best: float
    dense_gap: float
    unit_cosine: float
    passage_coverage: float
    unit_coverage: float
    type_missing: float
    transcript: float = 0.0
    cross_lingual: float = 0.0
    language: str = "en"

    def as_dict(self) -> dict[str, float]:
        """The features by name (the numeric ones: not the language)."""
        return {f.name: float(v) for f, v in zip(fields(self), astuple(self), strict=True)
                if f.name != "language"}  # fmt: skip


FEATURES = tuple(f.name for f in fields(AbstentionFeatures) if f.name != "language")


def french_stems_of(text: str) -> frozenset[str]:
    """The French Snowball stems of the words of a text, accents folded."""
    return frozenset(french_terms(text))


def _french_weights(terms: tuple[str, ...], passages: list[frozenset[str]]) -> dict[str, float]:
    """`term_weights` for French terms: the same IDF over the passages, French stems."""
    n = len(passages)
    weights: dict[str, float] = {}
    for term in terms:
        for key in french_terms(term):
            df = sum(key in p for p in passages)
            weights[key] = math.log(1.0 + (n + 1) / (df + 0.5))
    return weights


def cross_lingual_share(language: str, langs: Sequence[str]) -> float:
    """The share of the top passages whose known language differs from the question's."""
    top = list(langs[:COVERED_PASSAGES])
    return sum(bool(lang) and lang != language for lang in top) / max(1, len(top))


def crosses_languages(question: str, langs: Sequence[str]) -> bool:
    """True when the question's language differs from every known language of the top
    passages: a plain cosine threshold, set on one language, does not hold there."""
    return cross_lingual_share(detect_language(question), langs) > 0.5 if langs else False


def features_of(
    analysis: QuestionAnalysis,
    passages: Sequence[str],
    dense_scores: Sequence[float],
    units: Sequence[str] = (),
    unit_cosine: float | None = None,
    kinds: Sequence[str] = (),
    langs: Sequence[str] = (),
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
        langs: each passage's detected language (`Hit.lang`, "" when unknown), in order.
    """
    french = analysis.language == "fr"
    stemmed = french_stems_of if french else stems_of
    ranked = sorted(dense_scores, reverse=True)
    best = ranked[0] if ranked else 0.0
    gap = best - ranked[1] if len(ranked) > 1 else best
    stems = [stemmed(p) for p in passages]
    weights = (_french_weights if french else term_weights)(analysis.terms, stems)
    top = passages[:COVERED_PASSAGES]
    texts = list(units) or [s for p in top for s in sentences_of(p)]
    unit_stems = [stemmed(t) for t in texts]
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
        cross_lingual=cross_lingual_share(analysis.language, langs),
        language=analysis.language,
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
                       extract.best_cosine, [h.kind for h in hits],
                       [h.lang for h in hits])  # fmt: skip


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


LANGUAGE_MODELS = {language: LogisticModel.from_dict(m) for language, m in MODELS.items()}
DEFAULT_MODEL = LANGUAGE_MODELS["en"]
# Cosines depend on the embedding model: the multilingual one's run higher and closer together.
EMBEDDING_MODELS = {
    MULTILINGUAL_MODEL: {lang: LogisticModel.from_dict(m) for lang, m in MULTILINGUAL.items()},
}


def model_for(language: str, embedding_model: str = "") -> LogisticModel:
    """The calibration of questions in this language (the English one for any other), for
    passages and questions embedded with `embedding_model` (the packaged model when it has
    no calibration of its own)."""
    models = EMBEDDING_MODELS.get(embedding_model, LANGUAGE_MODELS)
    return models.get(language) or models.get("en") or DEFAULT_MODEL


def abstain_probability(
    features: AbstentionFeatures, model: LogisticModel | None = None
) -> float:
    """The model's probability that the passages do not answer the question (the model of
    the question's language when none is given)."""
    model = model or model_for(features.language)
    values = features.as_dict()
    z = model.intercept + sum(
        coef * (values[name] - mean) / scale
        for name, coef, mean, scale in zip(model.features, model.coef, model.mean, model.scale,
                                           strict=True)
    )  # fmt: skip
    return 1.0 / (1.0 + math.exp(z))


# A question about something the corpus never mentions ("What is on the cafeteria menu?",
# "How many weeks of parental leave…?" over engineering docs) is answered from passages that
# share its other words. When at least this share of its content words is in no readable
# passage (`Lexicon.unknown_share`) and the model leans to no answer (probability at least
# OFF_VOCABULARY_FLOOR), Kenning abstains. On the SQuAD development set (on-topic unanswerable
# questions, where words are rarely missing) it adds 4 abstentions of 577 and 5 wrong ones of
# 702; on the demo it abstains on 2 more of 8 off-topic questions and on none of 63 answerable
# ones. The words naming what a which/what question asks for weigh three: SQuAD recall 0.133
# -> 0.142 with no more wrong abstentions, and the demo's "Which cloud provider…?" abstains.
OFF_VOCABULARY_SHARE = 0.3
OFF_VOCABULARY_FLOOR = 0.5
# A French question's share is counted with French stems against the French passages' words,
# and judged only when its top passages are all French: a French question about an English
# runbook shares few words with the French pages (allowing one English passage of three cost 3
# of the 16 French demo questions answered from English pages). Over the public-service sheets
# and FAQ, 20 French off-topic questions: 7 -> 13 abstained, 97 answerable: 1 -> 2.
CROSS_LINGUAL_SHARE = 0.01


def should_abstain(
    features: AbstentionFeatures, model: LogisticModel | None = None, unknown_share: float = 0.0
) -> bool:
    """True when the probability that the passages do not answer reaches the threshold (of
    the question's language's model when none is given), or reaches `OFF_VOCABULARY_FLOOR`
    for a question of which `unknown_share` (see `OFF_VOCABULARY_SHARE`) is in no passage (a
    French one: when its top passages are all French)."""
    model = model or model_for(features.language)
    probability = abstain_probability(features, model)
    if probability >= model.threshold:
        return True
    judged = features.language == "en" or (features.language == "fr"
                                            and features.cross_lingual < CROSS_LINGUAL_SHARE)
    return (judged and unknown_share >= OFF_VOCABULARY_SHARE
            and probability >= OFF_VOCABULARY_FLOOR)  # fmt: skip
