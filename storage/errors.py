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


class JoinRefused(StorageError):
    """An invite would move an active worker out of their team ("other_team"), demote an admin
    ("demote") or change nothing ("member"); the code stays unused. `team_id` and `role`: what
    the worker is now."""

    def __init__(self, reason: str, *, team_id: int, role: str) -> None:
        super().__init__(f"join refused ({reason}): a worker with role {role} in team {team_id}")
        self.reason, self.team_id, self.role = reason, team_id, role


class PermissionDenied(StorageError):
    """The health worker's role does not allow this."""


class ConversationConflict(StorageError):
    """Another process saved the chat's conversation since it was loaded."""


class LinkInvalid(StorageError):
    """A dashboard sign-in link was used already ("used"), is past its time ("expired"), or is
    not one of ours, or its worker's access was revoked ("unknown")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"sign-in link refused: {reason}")
        self.reason = reason
