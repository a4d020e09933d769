"""Fixed phrases of answers (qa/messages.py) in the question's language."""

from __future__ import annotations

from support import hash_settings

from kenning import KnowledgeBase
from kenning.ingest.language import LANGUAGES
from kenning.qa.messages import MESSAGES, abstain_text, message


def test_every_phrase_exists_in_every_language() -> None:
    for key, phrases in MESSAGES.items():
        assert set(phrases) == set(LANGUAGES), key


def test_a_language_without_the_phrase_falls_back_to_english() -> None:
    assert message("abstain", "de") == MESSAGES["abstain"]["en"]


def test_abstaining_follows_the_question_language() -> None:
    french = abstain_text("Comment basculer la base de données des paiements ?", ["Jonas"])
    assert french.startswith("Je n'ai pas trouvé") and "sujets voisins" in french
    assert french.endswith(": Jonas.")
    english = abstain_text("How do we fail over the payments database?", [])
    assert english == MESSAGES["abstain"]["en"]


def test_a_french_question_abstains_in_french(tmp_path) -> None:  # noqa: ANN001
    base = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb"))
    response = base.ask("Quelle est la couleur préférée du directeur financier ?")
    base.close()
    assert response.abstained and response.answer.startswith("Je n'ai pas trouvé")
