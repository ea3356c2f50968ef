"""Errors that carry a sentence a person can read."""


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
    """An action breaks a rule of the domain (an illegal transition, a duplicate, a self-nomination)."""


class NotFound(DomainError):
    """The object an action refers to does not exist."""
