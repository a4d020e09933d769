"""The UI's words in English and French, and the language each request is shown in.

One catalogue per language, keyed by message id (`{name}` fields filled by `tr`). The same
catalogues serve both halves of the page: Gradio translates the components' own labels in the
browser (`gr.I18n`, see `kenning.ui.i18n`), and the HTML the server renders (answers' cards,
notices, lists) is translated here for the request's language: the one chosen with the page's
switch (the `kenning_lang` cookie), else the best match of the browser's `Accept-Language`,
else English. Nothing here imports Gradio. Another language is one more catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT = "en"
COOKIE = "kenning_lang"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}

EN: dict[str, str] = {
    "tagline": "Answers from your organisation's own knowledge, with the passages they rest on "
    "and the people who know.",
    "http_api": "HTTP API",
    "language": "Language",
    "tab_ask": "Ask",
    "tab_explore": "Explore",
    "tab_people": "People",
    "tab_library": "Library",
    "question": "Question",
    "question_placeholder": "Ask anything, e.g. What did Amara say about the solver's memory use?",
    "ask": "Ask",
    "press_enter": "Press Enter to ask.",
    "try": "Try",
    "filters": "Filters",
    "kind": "Kind",
    "team": "Team",
    "tags": "Tags",
    "tag": "Tag",
    "person": "Person",
    "date_from": "From",
    "date_to": "To",
    "new_conversation": "New conversation",
    "helpful": "Helpful answer",
    "not_helpful": "Not helpful",
    "comment": "Comment",
    "comment_placeholder": "Optional comment on the answer",
    "ask_start": "Ask a question to see an answer with its sources.",
    "searching": "Searching the knowledge base…",
    "ask_first": "Ask a question first.",
    "thanks": "Thanks, your feedback was recorded.",
    "showing_results": "Showing results for “{question}”",
    "turn_link": "link",
    "sources": "Sources",
    "no_sources": "No passages are cited.",
    "source_n": "source {n}",
    "open_source": "Open source: {title}",
    "speakers": "Speakers: {names}",
    "at_time": "at {location}",
    "best_match": "best match",
    "strong": "strong",
    "related": "related",
    "who_to_ask": "Who to ask",
    "nobody_stands_out": "Nobody stands out for this yet.",
    "only_nearby": "No one to ask about this exactly; people who know nearby topics",
    "level_strong": "strong match",
    "level_possible": "possible",
    "level_neighbouring": "knows nearby topics",
    "confidence": "confidence {value}",
    "why": "Why:",
    "evidence": "Evidence:",
    "start_here": "Start here",
    "recently_updated": "Recently updated",
    "topics": "Topics",
    "browse": "Browse",
    "nothing_matches": "Nothing matches these filters.",
    "no_start_here": "No documents are tagged “{tag}” yet.",
    "no_documents": "No documents yet.",
    "no_topics": "No topics yet: documents get topics from their tags.",
    "find_people_by_topic": "Find people by topic",
    "topic_placeholder": "e.g. Kafka consumer lag",
    "find_people": "Find people",
    "who_knows": "Who knows about “{topic}”",
    "choose_person": "Choose a person to see their page.",
    "no_such_person": "No such person.",
    "nobody_yet": "Nobody yet: ingest documents with owners, authors or speakers.",
    "files_to_ingest": "Files to ingest",
    "groups_placeholder": "e.g. finance, hr — empty: everyone",
    "ingest": "Ingest",
    "delete": "Delete",
    "gap_none": "none",
    "gap_weak": "weak",
    "gap_partial": "partial",
}

FR: dict[str, str] = {
    "tagline": "Des réponses tirées des connaissances de votre organisation, avec les passages "
    "qui les fondent et les personnes qui savent.",
    "http_api": "API HTTP",
    "language": "Langue",
    "tab_ask": "Demander",
    "tab_explore": "Explorer",
    "tab_people": "Personnes",
    "tab_library": "Bibliothèque",
    "question": "Question",
    "question_placeholder": "Posez une question, par exemple : Comment basculer la base de "
    "données des paiements ?",
    "ask": "Demander",
    "press_enter": "Appuyez sur Entrée pour demander.",
    "try": "Essayez",
    "filters": "Filtres",
    "kind": "Type",
    "team": "Équipe",
    "tags": "Étiquettes",
    "tag": "Étiquette",
    "person": "Personne",
    "date_from": "Du",
    "date_to": "Au",
    "new_conversation": "Nouvelle conversation",
    "helpful": "Réponse utile",
    "not_helpful": "Pas utile",
    "comment": "Commentaire",
    "comment_placeholder": "Commentaire facultatif sur la réponse",
    "ask_start": "Posez une question pour voir une réponse et ses sources.",
    "searching": "Recherche dans la base de connaissances…",
    "ask_first": "Posez d'abord une question.",
    "thanks": "Merci, votre avis a été enregistré.",
    "showing_results": "Résultats pour « {question} »",
    "turn_link": "lien",
    "sources": "Sources",
    "no_sources": "Aucun passage n'est cité.",
    "source_n": "source {n}",
    "open_source": "Ouvrir la source : {title}",
    "speakers": "Intervenants : {names}",
    "at_time": "à {location}",
    "best_match": "meilleure correspondance",
    "strong": "forte",
    "related": "liée",
    "who_to_ask": "Qui consulter",
    "nobody_stands_out": "Personne ne se distingue encore sur ce sujet.",
    "only_nearby": "Personne à consulter sur ce point précis ; des personnes qui connaissent "
    "des sujets voisins",
    "level_strong": "forte correspondance",
    "level_possible": "possible",
    "level_neighbouring": "connaît des sujets voisins",
    "confidence": "confiance {value}",
    "why": "Pourquoi :",
    "evidence": "Sources :",
    "start_here": "Pour commencer",
    "recently_updated": "Mis à jour récemment",
    "topics": "Sujets",
    "browse": "Parcourir",
    "nothing_matches": "Rien ne correspond à ces filtres.",
    "no_start_here": "Aucun document n'a encore l'étiquette « {tag} ».",
    "no_documents": "Aucun document pour l'instant.",
    "no_topics": "Aucun sujet pour l'instant : les documents tirent leurs sujets de leurs "
    "étiquettes.",
    "find_people_by_topic": "Trouver des personnes par sujet",
    "topic_placeholder": "par exemple : retard des consommateurs Kafka",
    "find_people": "Trouver des personnes",
    "who_knows": "Qui connaît « {topic} »",
    "choose_person": "Choisissez une personne pour voir sa page.",
    "no_such_person": "Personne introuvable.",
    "nobody_yet": "Personne pour l'instant : ajoutez des documents avec propriétaires, auteurs "
    "ou intervenants.",
    "files_to_ingest": "Fichiers à ajouter",
    "groups_placeholder": "par exemple finance, rh — vide : tout le monde",
    "ingest": "Ajouter",
    "delete": "Supprimer",
    "gap_none": "aucune",
    "gap_weak": "faible",
    "gap_partial": "partielle",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "fr": FR}


def tr(key: str, lang: str = DEFAULT, **values: object) -> str:
    """The message `key` in `lang` (English when that language lacks it), fields filled."""
    text = CATALOGUES.get(lang, EN).get(key) or EN[key]
    return text.format(**values) if values else text


def best_language(accept_language: str | None) -> str:
    """The catalogue language an `Accept-Language` header prefers most ("fr-FR,fr;q=0.9" ->
    "fr"); English when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.strip().split("-")[0].lower()
        if language in CATALOGUES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT


def request_language(headers: Mapping[str, str], cookies: Mapping[str, str]) -> str:
    """The language of a request: the switch's choice (cookie), else `Accept-Language`."""
    chosen = cookies.get(COOKIE, "")
    return chosen if chosen in CATALOGUES else best_language(headers.get("accept-language"))
