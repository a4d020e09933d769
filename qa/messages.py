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
    # Why a person is offered as someone to ask (`qa.experts`).
    "reason_owner": {"en": "owner of “{title}”{detail}",
                     "fr": "responsable de « {title} »{detail}"},
    "reason_author": {"en": "author of “{title}”{detail}", "fr": "auteur de « {title} »{detail}"},
    "reason_reviewer": {"en": "reviewer of “{title}”", "fr": "relecteur de « {title} »"},
    "reason_presenter": {"en": "presented “{title}”", "fr": "a présenté « {title} »"},
    "reason_facilitator": {"en": "facilitated “{title}”", "fr": "a animé « {title} »"},
    "reason_action_in": {"en": "has an action item in “{title}”",
                         "fr": "a une action à mener dans « {title} »"},
    "reason_attendee": {"en": "attended “{title}”", "fr": "a participé à « {title} »"},
    "reason_role": {"en": "{role} of “{title}”", "fr": "{role} de « {title} »"},
    "reason_spoke": {"en": "spoke {share} of the passage of “{title}”{at}",
                     "fr": "a dit {share} du passage de « {title} »{at}"},
    "reason_at": {"en": " at {time}", "fr": " à {time}"},
    "reason_item_owner": {"en": "owns “{item}” in “{title}”",
                          "fr": "porte « {item} » dans « {title} »"},
    "reason_liaison": {"en": "liaison for “{item}” in “{title}”",
                       "fr": "fait le lien pour « {item} » dans « {title} »"},
    "reason_action_item": {"en": "has an action item in “{title}” ({detail})",
                           "fr": "a une action à mener dans « {title} » ({detail})"},
    "reason_named": {"en": "named in “{title}”: “{item}”",
                     "fr": "cité dans « {title} » : « {item} »"},
    "reason_named_for_it": {"en": "named for it in “{title}”: “{item}”",
                            "fr": "désigné pour cela dans « {title} » : « {item} »"},
    "reason_in_question": {"en": "named in the question", "fr": "cité dans la question"},
    "reason_neighbouring": {"en": "knows neighbouring topics ({near}), not necessarily the answer",
                            "fr": "connaît des sujets voisins ({near}), pas forcément la réponse"},
    "quoted": {"en": "“{title}”", "fr": "« {title} »"},
    "and": {"en": " and ", "fr": " et "},
    "related_documents": {"en": "related documents", "fr": "des documents proches"},
    # Ingest reports: the embedding model for a knowledge base not mostly in English.
    "advice_model_chosen": {
        "en": "{share} of the first passages are not in English ({shares}): this knowledge "
              "base is embedded with the multilingual model, so questions in French or English "
              "find passages in either language. To keep the English model, set "
              "KENNING_EMBEDDING_MODEL={english} before the first ingest.",
        "fr": "{share} des premiers passages ne sont pas en anglais ({shares}) : cette base de "
              "connaissances est indexée avec le modèle multilingue, pour que les questions en "
              "français ou en anglais trouvent les passages dans les deux langues. Pour garder "
              "le modèle anglais, définissez KENNING_EMBEDDING_MODEL={english} avant le "
              "premier ajout.",
    },
    "advice_multilingual": {
        "en": "{share} of the passages are not in English ({shares}): the English embedding "
              "model matches them poorly. Build this knowledge base with "
              "KENNING_EMBEDDING_MODEL={multilingual} (in a new --kb folder) so questions find "
              "passages in either language.",
        "fr": "{share} des passages ne sont pas en anglais ({shares}) : le modèle d'indexation "
              "anglais les rapproche mal des questions. Reconstruisez cette base avec "
              "KENNING_EMBEDDING_MODEL={multilingual} (dans un nouveau dossier --kb) pour que "
              "les questions trouvent les passages dans les deux langues.",
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


def percent(share: float, lang: str) -> str:
    """A share as a percentage the way the language writes it: "80%", "80 %"."""
    return f"{share:.0%}" if lang == "en" else f"{share * 100:.0f}\u00a0%"


def abstain_text(question: str, names: list[str]) -> str:
    """What Kenning says when it abstains, in the question's language, naming the people who
    know neighbouring topics (not people who know the answer: there is none to point to)."""
    lang = language_of(question)
    text = message("abstain", lang)
    if not names:
        return text
    return f"{text} {message('who_to_ask', lang, names=', '.join(names))}"


__all__ = ["LANGUAGES", "MESSAGES", "abstain_text", "message", "percent"]
