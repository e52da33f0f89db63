"""Errors of the assistant; each message is one sentence saying what to do next."""

from desktop.errors import HearthError


class AssistantError(HearthError):
    """A summary or an answer that cannot be made (context too small, no readable document)."""


class Cancelled(AssistantError):
    def __init__(self, message: str = "Stopped as asked; run it again to start over."):
        super().__init__(message)
