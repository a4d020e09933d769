"""Fixed phrases of answers (qa/messages.py) in the question's language."""

from __future__ import annotations

from string import Formatter

import pytest
from support import hash_settings

from kenning import KnowledgeBase
from kenning.errors import MESSAGES as ERRORS
from kenning.errors import InvalidRequest
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


def test_every_error_phrase_exists_in_every_language_with_the_same_fields() -> None:
    for key, phrases in ERRORS.items():
        assert set(phrases) == set(LANGUAGES), key
        fields = {lang: {f for _, f, _, _ in Formatter().parse(p) if f}
                  for lang, p in phrases.items()}  # fmt: skip
        assert len({frozenset(f) for f in fields.values()}) == 1, (key, fields)


def test_a_refused_question_is_refused_in_its_own_language(tmp_path) -> None:  # noqa: ANN001
    base = KnowledgeBase(tmp_path / "kb", hash_settings(tmp_path / "kb", max_question_chars=40))
    try:
        with pytest.raises(InvalidRequest) as french:
            base.qa.ask("Comment basculer la base de données des paiements vers le site "
                        "de secours ?")  # fmt: skip
        with pytest.raises(InvalidRequest) as english:
            base.qa.ask("How do we fail over the payments database to the standby site?")
    finally:
        base.close()
    assert french.value.language == "fr" and french.value.key == "question_too_long"
    assert french.value.in_language("fr").startswith("la question fait 75 caractères")
    assert str(french.value) == ("question is 75 characters; the limit is 40 "
                                 "(KENNING_MAX_QUESTION_CHARS)")
    assert english.value.language == "en"
