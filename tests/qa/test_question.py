"""Question analysis: the type and expected answer of the questions people ask."""

from __future__ import annotations

import time

import pytest

from kenning.qa.question import (
    AnswerType,
    QuestionType,
    analyse,
    asked_words,
    detect_language,
    holds_answer_type,
    joined_terms,
)


@pytest.mark.parametrize(
    ("question", "qtype", "atype"),
    [
        ("How do we fail over the payments database?", "procedure", "steps"),
        ("How to deploy a service to production", "procedure", "steps"),
        ("What are the steps to rotate an API key?", "procedure", "steps"),
        ("What is the hotel cap per night for a business trip to Munich?", "quantity", "money"),
        ("How much does a taxi to the depot cost?", "quantity", "money"),
        ("How many counties are in Southern California?", "quantity", "number"),
        ("What percentage of Victoria is farmland?", "quantity", "percent"),
        ("How long is the Rhine?", "quantity", "number"),
        ("How long do we keep driver GPS traces?", "quantity", "duration"),
        ("How quickly must a SEV1 page be acknowledged?", "quantity", "duration"),
        ("How much faster was Kestrel than Pathwise at planning Dortmund?", "quantity",
         "duration"),
        ("When will every depot be running on the Kestrel solver?", "date", "date"),
        ("In what year did the Rhine flood Cologne?", "date", "date"),
        ("What time do the solver workers start planning?", "date", "time"),
        ("Who owns the on-call policy?", "person", "person"),
        ("Which team runs the ETA service?", "person", "person"),
        ("Is alcohol reimbursed on business trips?", "yes_no", "boolean"),
        ("Can I book first class on Deutsche Bahn?", "yes_no", "boolean"),
        ("Why did the routes go through the closed A40?", "cause", "reason"),
        ("What was the root cause of the double-charge incident?", "cause", "reason"),
        ("What caused customers to be charged twice?", "cause", "reason"),
        ("What is a contraction hierarchy?", "definition", "description"),
        ("What does RPO stand for?", "definition", "description"),
        ("Where does the Rhine begin?", "other", "place"),
        ("What is on the cafeteria menu on Fridays?", "other", "entity"),
        ("What is Southern California often abbreviated as?", "other", "entity"),
        ("Comment basculer la base de données des paiements ?", "procedure", "steps"),
        ("Combien coûte une nuit d'hôtel à Munich ?", "quantity", "money"),
        ("Combien de temps garde-t-on les traces GPS ?", "quantity", "duration"),
        ("Pourquoi les clients ont-ils été débités deux fois ?", "cause", "reason"),
        ("Qui est responsable de la politique d'astreinte ?", "person", "person"),
        ("Quand la migration du grand livre a-t-elle eu lieu ?", "date", "date"),
        ("À combien s'élève la prime d'astreinte ?", "quantity", "money"),
        ("Quelle est l'indemnité journalière pour un déplacement ?", "quantity", "money"),
        ("Quel budget mensuel le plan de capacité demande-t-il ?", "quantity", "money"),
        ("Combien de jours de congés payés avons-nous par an ?", "quantity", "number"),
        ("Combien de semaines de congé parental sont accordées ?", "quantity", "number"),
        ("En combien de temps faut-il accuser réception d'une page ?", "quantity", "duration"),
        ("À qui dois-je m'adresser pour les topics Kafka ?", "person", "person"),
        ("Qui rédige le plan de capacité, et pour quand ?", "date", "date"),
        # The situation first, then the question: the question decides.
        ("J'ai acheté une voiture d'occasion, comment faire la carte grise ?", "procedure",
         "steps"),
        ("Je n'ai pas les moyens de payer un avocat, que faire ?", "procedure", "steps"),
        ("Si je démissionne, est-ce que j'aurai droit au chômage ?", "yes_no", "boolean"),
        ("Je n'ai pas fait ma journée d'appel, est-ce grave ?", "yes_no", "boolean"),
        # Inverted verbs, without any function word to tell the language by.
        ("Dois-je faire un préavis si je quitte mon emploi ?", "yes_no", "boolean"),
        ("Puis-je refuser de travailler si je suis en danger ?", "yes_no", "boolean"),
        ("Quelle est la durée du congé avant et après l'accouchement ?", "quantity", "duration"),
        ("Quel taux rapporte un PEL ouvert aujourd'hui ?", "quantity", "percent"),
        ("Combien touche-t-on quand on est licencié ?", "quantity", "money"),
        ("Combien doit être payé un stagiaire au minimum ?", "quantity", "money"),
        ("Combien de jours de congés payés avons-nous par an ?", "quantity", "number"),
    ],
)
def test_question_types(question: str, qtype: str, atype: str) -> None:
    analysis = analyse(question)
    assert (analysis.type, analysis.answer_type) == (QuestionType(qtype), AnswerType(atype))


def test_content_terms_drop_question_words_and_possessives() -> None:
    assert analyse("What did Amara say about the solver's memory use?").terms == (
        "amara", "solver", "memory", "use",
    )  # fmt: skip
    assert analyse("How long do we keep driver GPS traces?").terms == (
        "keep", "driver", "gps", "traces",
    )  # fmt: skip
    assert "hôtel" in analyse("Combien coûte une nuit d'hôtel à Munich ?").terms


def test_language_detection_and_override() -> None:
    assert detect_language("Quelle est la politique de remboursement des taxis ?") == "fr"
    assert detect_language("What is the taxi reimbursement policy?") == "en"
    # No function word of either language: the language detector decides.
    assert detect_language("Dois-je faire un préavis si je quitte mon emploi ?") == "fr"
    assert detect_language("Summarize remote control design decisions") == "en"
    assert analyse("Who owns it?", language="en").language == "en"


@pytest.mark.parametrize(
    ("text", "atype", "holds"),
    [
        ("Location: Munich, Cap per night: €180", "money", True),
        ("Private car use is reimbursed at 0.30 EUR per kilometre.", "money", True),
        ("The hotel cap depends on the city.", "money", False),
        ("Acknowledge within 5 minutes; incident commander paged immediately.", "duration", True),
        ("Probation lasts six months.", "duration", True),
        ("Probation is reviewed by your manager.", "duration", False),
        ("The cutover completed by 14 March 2026.", "date", True),
        ("It happened in 1998.", "date", True),
        ("It happened on a sunny afternoon.", "date", False),
        ("Solver workers plan routes between 04:30 and 05:15.", "time", True),
        ("Amara Okafor owns the ETA service.", "person", True),
        ("Ask @jbecker about it.", "person", True),
        ("The service is owned by the routing team.", "person", False),
        ("The Rhine has 12 tributaries.", "number", True),
        ("It has twelve tributaries.", "number", True),
        ("It has many tributaries.", "number", False),
        ("About fourteen thousand stops, ninety depots.", "number", True),
        ("Dortmund goes from nine minutes to three minutes forty seconds.", "duration", True),
        ("1. Declare an incident\n2. Page the lead", "steps", True),
        ("- Runbook owner: Jonas Becker\n- Ledger: Sofia Marchetti", "steps", False),
        ("Redis evicted the keys because it hit its memory limit.", "reason", True),
        ("Redis evicted the keys.", "reason", False),
        ("Anything at all.", "entity", True),
        ("Une indemnité de 300 € est versée une seule fois.", "money", True),
        ("La prime d'astreinte est de 450\u202f€ par semaine.", "money", True),
        ("Il y a 3 eurodéputés.", "money", False),
    ],
)
def test_holds_answer_type(text: str, atype: str, holds: bool) -> None:
    assert holds_answer_type(text, AnswerType(atype)) is holds


def test_analysis_is_fast() -> None:
    questions = ["How do we fail over the payments database?",
                 "What is the hotel cap per night for a business trip to Munich?"] * 50  # fmt: skip
    started = time.perf_counter()
    for question in questions:
        analyse(question)
    assert (time.perf_counter() - started) / len(questions) < 0.001


def test_a_phrasal_verb_written_as_one_word_in_the_passages_is_one_term() -> None:
    analysis = analyse("How do we fail over the payments database?")
    vocabulary = frozenset({"failover", "payment", "database"})
    assert joined_terms(analysis.question, analysis.terms, vocabulary) == (
        "failover", "payments", "database")
    assert joined_terms(analysis.question, analysis.terms, frozenset()) == analysis.terms


def test_a_value_the_question_already_holds_is_no_answer() -> None:
    counties = "Despite being described as eight counties, how many counties are there?"
    assert not holds_answer_type("It is described as eight counties.", AnswerType.number,
                                 counties)  # fmt: skip
    assert holds_answer_type("The 10-county definition is also used.", AnswerType.number,
                             counties)  # fmt: skip
    pico = "What percentage of voters approved the Pico Act of 1859?"
    assert analyse(pico).answer_type is AnswerType.percent
    assert not holds_answer_type("The Pico Act of 1859 was passed.", AnswerType.percent, pico)
    assert holds_answer_type("Nearly 75% of voters approved it.", AnswerType.percent, pico)
    assert holds_answer_type("Some 60 per cent said yes.", AnswerType.percent, pico)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Which cloud provider hosts our Kubernetes clusters?", ("cloud", "provider")),
        ("What kind of license does the code use?", ("license",)),
        ("Which team owns the status page?", ("team",)),
        ("Which database did we migrate?", ("database",)),
        ("What is the hotel cap per night?", ()),
        ("What happened to the ledger?", ()),
        ("How do we fail over the payments database?", ()),
    ],
)
def test_what_a_which_question_asks_for(question: str, asked: tuple[str, ...]) -> None:
    assert asked_words(question) == asked
