"""Errors that carry a sentence a person can read."""

from __future__ import annotations


class KudosError(Exception):
    """Base class: the message is shown to people as it is, so it must be a full sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(KudosError):
    """The configuration cannot be used; the process must not start."""


class DomainError(KudosError):
    """An action breaks a rule of the domain (an illegal transition, a duplicate, a self-nomination).

    It carries a message key (`i18n/en.json`) and the message's parameters, so that every reader gets the
    sentence in their own language (the web tool shows it with `msg(error)`); `message` and `str()` are
    the English sentence, for logs and the command line.
    """

    def __init__(self, key: str, *params: object) -> None:
        from kudos import i18n  # the messages are loaded once, when the first rule is broken

        self.key = key
        self.params = params
        # A sentence written without a key is shown as it is.
        super().__init__(i18n.text(i18n.SOURCE_LANGUAGE, key, *params) if i18n.catalog().knows(key) else key)


class NotFound(DomainError):
    """The object an action refers to does not exist."""
