"""Errors of Kenning, all rooted at KenningError."""

from __future__ import annotations


class KenningError(Exception):
    """Base of every error Kenning raises on purpose."""

    status: int = 500


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

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidRequest(KenningError, ValueError):
    """What a caller sent cannot be used (an empty question, an unknown filter); the message
    names the field. A `ValueError` too, so Python callers may catch either."""

    status = 422
