"""The fixed phrases of answers, in each language Kenning answers in, chosen by the
question's language: a French question abstains in French.

A catalogue is a plain mapping, key -> language -> phrase with `str.format` fields, so a
language is added by adding its phrases (a test checks that every key has every language).
"""

from __future__ import annotations

from kenning.ingest.language import DEFAULT_LANGUAGE, LANGUAGES, language_of

MESSAGES: dict[str, dict[str, str]] = {
    "abstain": {
        "en": "I could not find a confident answer to that in the knowledge base.",
        "fr": "Je n'ai pas trouvé de réponse sûre à cette question dans la base de connaissances.",
    },
    "who_to_ask": {
        "en": "People who know neighbouring topics, who may point you further: {names}.",
        "fr": "Personnes qui connaissent des sujets voisins et pourront vous orienter : {names}.",
    },
}


def message(key: str, lang: str, **fields: str) -> str:
    """A fixed phrase in a language (English when the language has none).

    Raises:
        KeyError: for a key that is not in `MESSAGES`.
    """
    phrases = MESSAGES[key]
    phrase = phrases.get(lang) or phrases[DEFAULT_LANGUAGE]
    return phrase.format(**fields) if fields else phrase


def abstain_text(question: str, names: list[str]) -> str:
    """What Kenning says when it abstains, in the question's language, naming the people who
    know neighbouring topics (not people who know the answer: there is none to point to)."""
    lang = language_of(question)
    text = message("abstain", lang)
    if not names:
        return text
    return f"{text} {message('who_to_ask', lang, names=', '.join(names))}"


__all__ = ["LANGUAGES", "MESSAGES", "abstain_text", "message"]
