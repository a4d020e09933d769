"""Typo correction against the knowledge base's vocabulary, and acronyms learnt from it
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from support import hash_settings

from kenning.kb import KnowledgeBase
from kenning.qa import lexicon as lexicon_module
from kenning.qa.acronyms import Acronyms, learn_acronyms
from kenning.qa.lexicon import LexiconCache
from kenning.qa.spelling import Speller

CORPUS = Counter(
    "deploy deploy service service production production payments database failover "
    "runbook owner memory solver depot faster after paydb kestrel".split()
)


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CORPUS, english=frozenset({"quickly", "refund"}))


def test_typos_are_corrected_to_corpus_words(speller) -> None:
    text, corrections = speller.correct("how do i depoly a servise to prodution?")
    assert text == "how do i deploy a service to production?"
    assert [c.original for c in corrections] == ["depoly", "servise", "prodution"]


@pytest.mark.parametrize(
    "question",
    [
        "How do we fail over paydb?",  # a word the corpus knows
        "Did Jonsa approve the failover?",  # a name (capitalised inside the sentence)
        "What is SEVV1?",  # a code
        "Is paydb-3 a replica?",  # a code with a hyphen
        "How quickly is a refund made?",  # English words the corpus lacks
        "Why is the depots list empty?",  # an inflection of a corpus word
    ],
)
def test_words_the_corpus_knows_names_and_codes_are_never_corrected(speller, question) -> None:
    assert speller.correct(question) == (question, [])


def test_ties_prefer_shared_letters(speller) -> None:
    assert speller.correct("what about the nemroy use")[0] == "what about the memory use"
    assert speller.correct("how much astrr was it")[0] == "how much faster was it"


def test_possessives_and_capitals_at_the_start(speller) -> None:
    assert speller.correct("Depoly the solvr's memory")[0] == "Deploy the solver's memory"


def test_acronyms_are_learnt_from_definitions() -> None:
    found = learn_acronyms([
        "Fail over the payments database (paydb) with Patroni.",
        "SEV1 = severity 1, the highest level.",
        "| SLO | service level objective |\n|---|---|",
        "Ships keep ETAs (estimated arrival times) current.",
        "Kafka (Dmitri) and Payments (Jonas) were discussed.",  # not abbreviations
    ])  # fmt: skip
    assert found.expansions("how do I restore paydb?") == ["payments database"]
    assert found.expansions("who owns the payments database?") == ["paydb"]
    assert found.expansions("what is a SEV1?") == ["severity 1"]
    assert found.expansions("what is our SLO?") == ["service level objective"]
    assert found.expansions("are the ETAs right?") == ["estimated arrival times"]
    assert found.expansions("what did Dmitri say about Kafka?") == []


def test_people_aliases_expand_to_names() -> None:
    found = Acronyms()
    found.add_aliases([("Jonas Becker", ("JB", "jbecker", "payments lead", "jonas@x.example"))])
    assert found.expansions("what did JB decide?") == ["jonas becker"]
    assert found.expansions("what did the payments lead decide?") == []


def test_a_long_window_before_the_short_form_is_read_in_bounded_time() -> None:
    # A chunk of 5,000 words and no parentheses, then one definition at its end.
    text = "word " * 5000 + "the quantum unified exchange (QUX) is new"
    found = learn_acronyms([text])
    assert found.expansions("what is QUX?") == ["quantum unified exchange"]


def _kb_with(tmp_path: Path, text: str) -> KnowledgeBase:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "a.md").write_text(text, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb"))
    kb.ingest([docs])
    return kb


def test_a_small_knowledge_base_knows_new_acronyms_at_the_next_question(tmp_path) -> None:
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        cache = LexiconCache()
        assert cache.get(kb.qa.parts.store, None).acronyms.expansions("quux?") == []
        (tmp_path / "docs" / "b.md").write_text("The quick unified user exchange (quux).")
        kb.ingest([tmp_path / "docs"])
        lexicon = cache.get(kb.qa.parts.store, None)
        assert lexicon.acronyms.expansions("quux?") == ["quick unified user exchange"]


def test_a_slow_lexicon_is_rebuilt_in_the_background(tmp_path, monkeypatch) -> None:
    # Every build counts as slow: questions keep the previous lexicon while it is rebuilt.
    monkeypatch.setattr(lexicon_module, "SYNC_BUILD", 0.0)
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        store = kb.qa.parts.store
        cache = LexiconCache()
        first = cache.get(store, None)
        (tmp_path / "docs" / "b.md").write_text("The quick unified user exchange (quux).")
        kb.ingest([tmp_path / "docs"])
        assert cache.get(store, None) is first  # not waiting for a rebuild
        deadline = time.monotonic() + 30
        while cache.get(store, None) is first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cache.get(store, None).acronyms.expansions("quux?") == [
            "quick unified user exchange"
        ]


def test_a_large_knowledge_base_answers_while_its_first_lexicon_builds(tmp_path) -> None:
    """Beyond `sync_chunks`, the first question does not wait for a read of the whole corpus:
    it gets a lexicon that has learnt nothing (no correction, no word judged unknown), and
    the built one follows."""
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        store = kb.qa.parts.store
        cache = LexiconCache(sync_chunks=0)
        first = cache.get(store, None)
        assert first is lexicon_module.NOTHING_LEARNT
        assert first.speller.correct("fial over paymnets") == ("fial over paymnets", [])
        assert first.unknown_share("What is on the cafeteria menu?") == 0.0
        deadline = time.monotonic() + 30
        while cache.get(store, None) is first and time.monotonic() < deadline:
            time.sleep(0.05)
        built = cache.get(store, None)
        assert built.acronyms.expansions("paydb?") == ["payments database"]
        assert built.unknown_share("What is on the cafeteria menu?") == 1.0


def _wait_for(condition, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _saved_lexicon(tmp_path: Path, kb: KnowledgeBase) -> Path:
    """Build the knowledge base's lexicon (a slow one is saved) and return the saved file."""
    LexiconCache()._build(kb.qa.parts.store, None)
    saved = tmp_path / "kb" / lexicon_module.SAVED_FOLDER
    _wait_for(lambda: any(saved.glob("*.json")))
    return next(saved.glob("*.json"))


def test_a_restarted_server_starts_from_the_saved_lexicon(tmp_path, monkeypatch) -> None:
    """A slow lexicon is kept in the knowledge base's folder: a new cache (a restarted
    server) answers with it at once, without reading the corpus, and after an ingest keeps it
    while the new one builds in the background."""
    monkeypatch.setattr(lexicon_module, "SYNC_BUILD", 0.0)  # every build counts as slow
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        store = kb.qa.parts.store
        assert len(list(_saved_lexicon(tmp_path, kb).parent.glob("*.json"))) == 1

        reads = []
        real_build = lexicon_module.build_lexicon
        monkeypatch.setattr(lexicon_module, "build_lexicon",
                            lambda *a: reads.append(a) or real_build(*a))  # fmt: skip
        restarted = LexiconCache(sync_chunks=0)
        lexicon = restarted.get(store, None)
        assert lexicon is not lexicon_module.NOTHING_LEARNT and not reads
        assert lexicon.acronyms.expansions("paydb?") == ["payments database"]
        assert lexicon.speller.correct("fial over paymnets")[0] == "fail over payments"
        assert lexicon.unknown_share("What is on the cafeteria menu?") == 1.0

        (tmp_path / "docs" / "b.md").write_text("The quick unified user exchange (quux).")
        kb.ingest([tmp_path / "docs"])
        again = LexiconCache(sync_chunks=0)
        kept = again.get(store, None)
        assert kept.acronyms.expansions("paydb?") == ["payments database"]
        _wait_for(lambda: bool(again.get(store, None).acronyms.expansions("quux?")))
        assert again.get(store, None).acronyms.expansions("quux?") == [
            "quick unified user exchange"]
        assert len(reads) == 1  # the rebuild after the ingest, nothing at the restarts


def test_a_damaged_saved_lexicon_is_built_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(lexicon_module, "SYNC_BUILD", 0.0)
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        store = kb.qa.parts.store
        _saved_lexicon(tmp_path, kb).write_text('{"format": 1, "counts": [')
        lexicon = LexiconCache().get(store, None)
        assert lexicon.acronyms.expansions("paydb?") == ["payments database"]


def test_a_saved_lexicon_of_another_store_at_the_same_generation_is_rebuilt(
    tmp_path, monkeypatch
) -> None:  # noqa: ANN001
    """A knowledge base made again in the same folder can reach the generation a saved
    lexicon names: its chunk count tells them apart, and the lexicon is learnt again."""
    monkeypatch.setattr(lexicon_module, "SYNC_BUILD", 0.0)
    with _kb_with(tmp_path, "# Payments\n\nFail over the payments database (paydb).") as kb:
        store = kb.qa.parts.store
        path = _saved_lexicon(tmp_path, kb)
        lexicon, generation, seconds, chunks = lexicon_module.load_lexicon(path)
        assert generation == store.generation and chunks == store.count_chunks()
        lexicon_module.save_lexicon(path, lexicon_module.NOTHING_LEARNT, generation, seconds,
                                    chunks + 5)  # fmt: skip
        cache = LexiconCache()
        assert cache.get(store, None).acronyms.expansions("paydb?") == []  # kept meanwhile
        _wait_for(lambda: bool(cache.get(store, None).acronyms.expansions("paydb?")))
        assert cache.get(store, None).acronyms.expansions("paydb?") == ["payments database"]


def test_a_french_question_is_corrected_only_to_words_of_french_passages() -> None:
    english = Speller(CORPUS + Counter("class security revenue days fuel".split()),
                      english=frozenset())  # fmt: skip
    question = "Quel fournisseur a été classé à risque élevé dans la revue de sécurité ?"
    # Valid French words the English passages lack are not typos of English words.
    assert english.correct(question, "fr") == (question, [])
    assert english.correct("Fuek class", "en")[0] == "Fuel class"  # English as before
    bilingual = Speller(CORPUS + Counter("fournisseur sécurité revue".split()),
                        english=frozenset(),
                        french_counts=Counter("fournisseur sécurité revue".split()))  # fmt: skip
    text, corrections = bilingual.correct("Quel fournisseu dans la revue de sécurit ?", "fr")
    assert text == "Quel fournisseur dans la revue de sécurité ?"
    assert [c.original for c in corrections] == ["fournisseu", "sécurit"]


def test_french_passages_teach_the_french_vocabulary(tmp_path: Path) -> None:
    """A knowledge base with a French page corrects a French question's typo to its words, and
    leaves a French question over English pages as asked."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fr.md").write_text(
        "# Astreinte\n\nLa prime d'astreinte est versée chaque mois avec le salaire. Elle couvre "
        "les nuits et les week-ends passés en astreinte pour la plateforme.\n", encoding="utf-8")
    (tmp_path / "docs" / "en.md").write_text(
        "# Payments\n\nThe payments database fails over to the replica in the second region. "
        "The class of the incident decides who is paged first.\n", encoding="utf-8")
    with KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb")) as kb:
        kb.ingest([tmp_path / "docs"])
        corrected = kb.ask("Quand la prime d'astrainte est-elle versée ?").corrected_question
        assert corrected == "Quand la prime d'astreinte est-elle versée ?"
        assert kb.ask("Quel classé est le plus grave ?").corrected_question is None
