"""The errors storage raises; each message is one line a person can act on."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for storage errors."""


class StorageConfigError(StorageError):
    """A setting is missing or wrong."""


class NotFound(StorageError):
    """No such row, or not one the caller may see."""


class InvalidTransition(StorageError):
    """A follow-up cannot move from its status to the one asked for."""


class InvalidValue(StorageError):
    """A value is out of range, e.g. a lab Hb of 90 g/dL."""


class CropRefused(InvalidValue):
    """A research crop cannot be kept (too large, or not an image); nothing was written."""


class ConsentMissing(StorageError):
    """The subject has not agreed to what the call would store."""


class InviteInvalid(StorageError):
    """An invite code is unknown, used or expired."""


class PermissionDenied(StorageError):
    """The health worker's role does not allow this."""


class ConversationConflict(StorageError):
    """Another process saved the chat's conversation since it was loaded."""
