"""The one error a document can raise; its message names the file and says what to do next."""

from desktop.errors import HearthError


class DocumentError(HearthError):
    """A file Hearth cannot read as a document: empty, encrypted, damaged, a scan, or not a document."""


class Cancelled(HearthError):
    """The user cancelled; whatever was finished before stays in the library."""
