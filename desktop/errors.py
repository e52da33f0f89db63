"""Typed errors. Each message is one sentence that tells the user what to do next."""


class HearthError(Exception):
    """Base of every error a user can see; the CLI prints its message and exits 1."""


class ModelNotFound(HearthError):
    pass


class ModelExists(HearthError):
    pass


class UnsupportedModel(HearthError):
    """An architecture, tensor type or tokenizer Hearth cannot read."""


class BadModelFile(HearthError):
    """A file that is truncated, corrupt or not what its name says."""


class StoreError(HearthError):
    """The store on disk is damaged, locked or out of space."""


class DownloadError(HearthError):
    pass


class EngineError(HearthError):
    """The GPU engine cannot run: no adapter, not enough memory, device lost."""
