"""Errors that carry a message meant for the user, with a stable code for the API."""
from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Something the user asked for cannot be done; the message says why (translatable)."""

    status = 400

    def __init__(self, code: str, message: Any, status: int | None = None, **extra: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.extra = extra


class NotFound(UserError):
    status = 404


class Conflict(UserError):
    status = 409


class Forbidden(UserError):
    status = 403
