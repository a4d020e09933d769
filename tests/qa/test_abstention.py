"""Calibrated abstention: features of real passages, and the shipped model's decisions."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from support import DEMO

from kenning.index.embeddings import answer_embedder
from kenning.qa.abstention import (
    DEFAULT_MODEL,
    FEATURES,
    AbstentionFeatures,
    LogisticModel,
    abstain_probability,
    features_of,
    features_of_answer,
    should_abstain,
)
from kenning.qa.acronyms import Acronyms
from kenning.qa.extractive import choose_units
from kenning.qa.lexicon import Lexicon, build_lexicon
from kenning.qa.question import analyse, stems_of
from kenning.qa.spelling import Speller, words_of

HOTELS = ("Nightly caps, including taxes but excluding breakfast:\n| Location | Cap per night |"
          "\n|---|---|\n| Munich, Amsterdam, Vienna | €180 |")  # fmt: skip
TRANSPORT = "Rail is the default for journeys under five hours. Flights are economy class."
ONCALL = "Each on-call week is paid a flat stipend of €450. Shifts hand over on Monday."


def test_a_question_whose_words_are_nowhere_has_low_coverage() -> None:
    passages = [HOTELS, TRANSPORT, ONCALL]
    hotel = features_of(analyse("What is the hotel cap per night in Munich?"), passages,
                        [0.62, 0.31, 0.2])  # fmt: skip
    menu = features_of(analyse("What is on the cafeteria menu on Fridays?"), passages,
                       [0.21, 0.2, 0.19])  # fmt: skip
    # "hotel" is not in the table (its heading was), the rest is.
    assert hotel.passage_coverage > 0.6 and menu.passage_coverage == 0.0
    assert hotel.unit_coverage > menu.unit_coverage
    assert hotel.dense_best == 0.62 and hotel.dense_gap == pytest.approx(0.31)
    assert hotel.transcript == 0.0
    kinds = ["transcript", "document", "transcript"]
    assert features_of(analyse("Who spoke?"), passages, [0.3] * 3, kinds=kinds).transcript == (
        pytest.approx(2 / 3))
    # No unit is given: the best passage cosine stands in for the best unit's.
    assert hotel.unit_cosine == 0.62


def test_expected_answer_type_missing_from_every_unit() -> None:
    passages = [TRANSPORT, "Hotels are booked through the TravelDesk portal."]
    money = features_of(analyse("How much does a hotel night in Munich cost?"), passages,
                        [0.5, 0.4])  # fmt: skip
    assert money.type_missing == 1.0
    with_price = features_of(analyse("How much does a hotel night in Munich cost?"),
                             [HOTELS, *passages], [0.6, 0.5, 0.4])  # fmt: skip
    assert with_price.type_missing == 0.0
    # "What ..." questions expect no particular form: never missing.
    assert features_of(analyse("What is the rail policy?"), passages, [0.5]).type_missing == 0.0


def test_shipped_model_abstains_when_nothing_matches_and_answers_when_all_does() -> None:
    answered = AbstentionFeatures(dense_best=0.7, dense_gap=0.2, unit_cosine=0.7,
                                  passage_coverage=1.0, unit_coverage=1.0, type_missing=0.0)
    unanswered = AbstentionFeatures(dense_best=0.15, dense_gap=0.0, unit_cosine=0.12,
                                    passage_coverage=0.0, unit_coverage=0.0, type_missing=1.0)
    assert abstain_probability(unanswered) > DEFAULT_MODEL.threshold > abstain_probability(answered)
    assert should_abstain(unanswered) and not should_abstain(answered)
    assert set(DEFAULT_MODEL.features) <= set(FEATURES)
    assert 0.0 < DEFAULT_MODEL.threshold < 1.0


def test_model_from_dict_rejects_unknown_features() -> None:
    with pytest.raises(ValueError, match="unknown feature 'bm25'; valid: dense_best"):
        LogisticModel.from_dict({"features": ["bm25"], "mean": [0], "scale": [1], "coef": [1],
                                 "intercept": 0, "threshold": 0.5})  # fmt: skip


@pytest.mark.slow
def test_demo_off_topic_questions_abstain_and_answerable_ones_do_not(demo_kb) -> None:
    questions = [json.loads(line) for line in (DEMO / "questions.jsonl").read_text().splitlines()]

    def abstains(question: str) -> bool:
        retrieval = demo_kb.retrieve(question, k=5)
        analysis = analyse(question)
        extract = choose_units(analysis, retrieval.hits, demo_kb.embedder,
                               units=answer_embedder(demo_kb.embedder, demo_kb.settings))
        dense = [retrieval.dense_scores.get(r, 0.0) for r in retrieval.rowids]
        features = features_of_answer(analysis, retrieval.hits, dense, extract)
        return should_abstain(features, unknown_share=lexicon.unknown_share(question))

    lexicon = build_lexicon(demo_kb.store, None)
    off_topic = [q["question"] for q in questions if q.get("must_abstain")]
    assert "What is on the cafeteria menu on Fridays?" in off_topic
    assert abstains("What is on the cafeteria menu on Fridays?")
    # Every off-topic question abstains ("Which cloud provider…?" through the weight of what
    # it asks for, the one word of five the corpus never uses).
    assert [q for q in off_topic if not abstains(q)] == []
    answerable = [q["question"] for q in questions if not q.get("must_abstain")]
    wrong = [q for q in answerable if abstains(q)]
    assert len(wrong) <= 0.1 * len(answerable), wrong


def test_words_the_corpus_never_uses_tip_a_leaning_model_into_abstaining(good_kb) -> None:
    kb, _ = good_kb
    lexicon = build_lexicon(kb.store, None)
    assert lexicon.unknown_share("What caused the login outage?") == 0.0
    assert lexicon.unknown_share("What is on the cafeteria menu?") == 1.0
    # Inflections and hyphenated parts of known words are known; numbers do not count.
    assert lexicon.unknown_share("Which certificates expired in the 2026 log-in outages?") == 0.0
    # What a which/what question asks for weighs three words: 3 unknown of 6, not 1 of 4.
    assert lexicon.unknown_share("What caused the login outage?") == 0.0
    assert lexicon.unknown_share("Which caterer caused the login outage?") == 3 / 6
    assert lexicon.unknown_share("Why did the caterer cause the login outage?") == 1 / 4
    # Between the floor and the threshold, only a question off the corpus's vocabulary abstains.
    leaning = AbstentionFeatures(dense_best=0.42, dense_gap=0.05, unit_cosine=0.5,
                                 passage_coverage=0.5, unit_coverage=0.5, type_missing=0.0)
    assert 0.5 <= abstain_probability(leaning) < DEFAULT_MODEL.threshold
    assert not should_abstain(leaning, unknown_share=0.0)
    assert should_abstain(leaning, unknown_share=0.4)
    # A French question is judged so over French passages only: over English ones (a French
    # question about an English runbook) its words are bound to be missing.
    french = AbstentionFeatures(**{**leaning.__dict__, "language": "fr"})
    assert should_abstain(french, DEFAULT_MODEL, unknown_share=0.4)
    across = AbstentionFeatures(**{**french.__dict__, "cross_lingual": 1 / 3})
    assert not should_abstain(across, DEFAULT_MODEL, unknown_share=0.4)
    # Without French passages no word of a French question is judged unknown.
    assert lexicon.unknown_share("Quel est le menu de la cantine ?", "fr") == 0.0


def test_a_french_question_is_judged_against_the_french_pages_words() -> None:
    french = Counter(words_of("Le télétravail est possible deux jours par semaine, sur "
                              "demande au responsable d'équipe. Les frais de connexion sont "
                              "remboursés."))  # fmt: skip
    english = Counter(words_of("Kestrel routing runs in shadow mode at six depots."))
    lexicon = Lexicon(Speller(french + english, french_counts=french), Acronyms(), (),
                      stems_of(" ".join(french + english)))  # fmt: skip
    # Inflections (Snowball French stems, accents folded) and names of any page are known.
    assert lexicon.unknown_share("Combien de jours de télétravail par semaines ?", "fr") == 0.0
    assert lexicon.unknown_share("Kestrel est-il remboursé ?", "fr") == 0.0
    assert lexicon.unknown_share("Quelle est la politique de congé sabbatique ?", "fr") == 1.0


@pytest.mark.slow
def test_a_french_question_off_the_demo_french_pages_abstains(demo_kb) -> None:
    sabbatical = demo_kb.ask("Quelle est la politique de congé sabbatique ?")
    assert sabbatical.abstained and sabbatical.answer.startswith("Je n'ai pas trouvé")
    remote = demo_kb.ask("Combien de jours de télétravail par semaine sont autorisés ?")
    assert not remote.abstained
