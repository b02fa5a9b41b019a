"""The one base class of every app's domain error (``SessionError``, ``ClaimError``, ...)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. The message is written for the person using the page and is safe to
    show; ``field`` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
