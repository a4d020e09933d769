"""Errors of Kenning, all rooted at KenningError.

An error a person may read (a refused question, an unknown filter, a missing key) is raised
with a key of `MESSAGES`, the catalogue of its phrase in each language Kenning speaks: its
message (`str(error)`) is the English phrase, and `in_language(lang)` gives it in another one,
so the UI and the API answer a French reader in French. Another language is one more column.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "api_key_invalid": {"en": "invalid API key", "fr": "clé d'API non valide"},
    "api_key_needed": {
        "en": "an API key is needed: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
        "fr": "une clé d'API est nécessaire : envoyez 'Authorization: Bearer <clé>' ou "
              "'X-API-Key: <clé>'",
    },
    "rate_limited": {"en": "rate limit of {limit} exceeded; retry in {wait} s",
                     "fr": "limite de {limit} dépassée ; réessayez dans {wait} s"},
    "admin_to_add": {"en": "adding documents needs an admin API key",
                     "fr": "ajouter des documents demande une clé d'API d'administration"},
    "admin_to_delete": {"en": "deleting documents needs an admin API key",
                        "fr": "supprimer des documents demande une clé d'API d'administration"},
    "admin_needed": {"en": "{action} needs an admin API key",
                     "fr": "« {action} » demande une clé d'API d'administration"},
    "too_many_files": {
        "en": "files: {count} files in one upload; at most {limit} (KENNING_MAX_UPLOAD_FILES)",
        "fr": "files : {count} fichiers envoyés d'un coup ; au plus {limit} "
              "(KENNING_MAX_UPLOAD_FILES)",
    },
    "file_name_unusable": {"en": "unusable file name {name!r}",
                           "fr": "nom de fichier inutilisable : {name!r}"},
    "question_empty": {"en": "question is empty", "fr": "la question est vide"},
    "question_too_long": {
        "en": "question is {length} characters; the limit is {limit} (KENNING_MAX_QUESTION_CHARS)",
        "fr": "la question fait {length} caractères ; la limite est de {limit} "
              "(KENNING_MAX_QUESTION_CHARS)",
    },
    "query_empty": {"en": "query is empty", "fr": "la recherche est vide"},
    "answerer_unknown": {"en": "unknown answerer {answerer!r}; valid: {valid}",
                         "fr": "mode de réponse inconnu {answerer!r} ; possibles : {valid}"},
    "llm_missing": {"en": "answerer 'llm' needs an LLM configured (KENNING_LLM)",
                    "fr": "le mode de réponse 'llm' demande un LLM configuré (KENNING_LLM)"},
    "no_document": {"en": "no document with id {id!r}",
                    "fr": "aucun document n'a l'identifiant {id!r}"},
    "no_source_file": {"en": "no source file for document {id!r}",
                       "fr": "aucun fichier source pour le document {id!r}"},
    "no_person": {"en": "no person with id {id!r}",
                  "fr": "aucune personne n'a l'identifiant {id!r}"},
    "not_unicode": {
        "en": "text holds characters that are not valid Unicode (lone surrogates)",
        "fr": "le texte contient des caractères Unicode non valides (substituts isolés)",
    },
    "filter_unknown": {"en": "unknown filter {unknown}; valid filters: {valid}",
                       "fr": "filtre inconnu : {unknown} ; filtres possibles : {valid}"},
    "filter_null": {"en": "filter {name} must not be null; leave it out not to filter",
                    "fr": "le filtre {name} ne peut pas être nul ; omettez-le pour ne pas filtrer"},
    "filter_text": {"en": "filter {name}: {reason}", "fr": "filtre {name} : {reason}"},
    "filter_strings": {
        "en": "filter {name} must be a string or a list of at most {limit} strings",
        "fr": "le filtre {name} doit être un texte ou une liste d'au plus {limit} textes",
    },
    "filter_string": {"en": "filter {name} must be a string of at most {limit} characters",
                      "fr": "le filtre {name} doit être un texte d'au plus {limit} caractères"},
    "filter_date": {"en": "filter {name} must be a date like 2026-03-31, not {value!r}",
                    "fr": "le filtre {name} doit être une date comme 2026-03-31, pas {value!r}"},
    "kind_unknown": {"en": "unknown kind {kind!r}; valid kinds: {valid}",
                     "fr": "type inconnu {kind!r} ; types possibles : {valid}"},
    "history_turns": {
        "en": "history has {count} messages; at most {limit} (KENNING_MAX_HISTORY_TURNS)",
        "fr": "l'historique a {count} messages ; au plus {limit} (KENNING_MAX_HISTORY_TURNS)",
    },
    "history_role": {"en": "history[{n}].role must be one of: {valid}",
                     "fr": "history[{n}].role doit être l'un de : {valid}"},
    "history_content": {"en": "history[{n}].content must be text",
                        "fr": "history[{n}].content doit être du texte"},
    "history_chars": {
        "en": "history is {count} characters; at most {limit} (KENNING_MAX_HISTORY_CHARS)",
        "fr": "l'historique fait {count} caractères ; au plus {limit} "
              "(KENNING_MAX_HISTORY_CHARS)",
    },
    "no_user_message": {"en": "messages has no user message",
                        "fr": "messages ne contient aucun message de l'utilisateur"},
}


class KenningError(Exception):
    """Base of every error Kenning raises on purpose.

    Args:
        message: what went wrong, in English (for errors no person reads in another language).
        key: instead, the error's phrase in `MESSAGES`, filled with `fields`; the message is its
            English form.
        fields: the phrase's fields (a field that is itself an error is written in the same
            language).
    """

    status: int = 500

    def __init__(self, message: str = "", *, key: str | None = None, **fields: Any) -> None:  # noqa: ANN401
        self.key = key
        self.fields = fields
        self.language: str | None = None  # the language of what was asked, when known
        super().__init__(self.in_language("en") if key is not None else message)

    def in_language(self, lang: str) -> str:
        """The message in `lang` (English when the catalogue has no phrase in it, or when the
        error was raised with a message and no key)."""
        if self.key is None:
            return str(self)
        phrases = MESSAGES[self.key]
        filled = {name: value.in_language(lang) if isinstance(value, KenningError) else value
                  for name, value in self.fields.items()}  # fmt: skip
        return phrases.get(lang, phrases["en"]).format(**filled)


class ParseError(KenningError):
    """A file could not be read as its format; `path` names it."""

    status = 422

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMismatchError(KenningError):
    """The knowledge base was built with another embedding model or layout."""

    status = 409


class NotFoundError(KenningError):
    """A document, person or other resource does not exist."""

    status = 404


class ConfigError(KenningError):
    """The settings are invalid; the message names the key."""

    status = 500


class AuthenticationError(KenningError):
    """No API key, or one that is not configured."""

    status = 401


class ForbiddenError(KenningError):
    """The caller is known but may not do this (e.g. upload without admin rights)."""

    status = 403


class RateLimitError(KenningError):
    """Too many requests with one key; `retry_after` says how many seconds to wait."""

    status = 429

    def __init__(self, retry_after: int, *, key: str = "rate_limited", **fields: Any) -> None:  # noqa: ANN401
        super().__init__(key=key, wait=retry_after, **fields)
        self.retry_after = retry_after


class InvalidRequest(KenningError, ValueError):
    """What a caller sent cannot be used (an empty question, an unknown filter); the message
    names the field. A `ValueError` too, so Python callers may catch either."""

    status = 422
