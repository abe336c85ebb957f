"""Column types shared by the model modules: timestamps, and states stored as the strings of their enum."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from records.db import utcnow

E = TypeVar("E", bound=StrEnum)


def created_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class EnumText(TypeDecorator[E]):
    """A state column: the enum's value stored as plain text (so the schema stays what it was and
    reports may read it with SQL), handed back as the enum member.

    A value the enum does not know is refused on the way in, so a typo never reaches the database.
    ``empty`` names the stored text that means "not set" (read as None), for columns that always had
    a value."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], impl: TypeEngine[Any] | None = None, *, empty: str | None = None) -> None:
        super().__init__()
        self.impl = impl if impl is not None else String(16)
        self.enum = enum
        self.empty = empty

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or (self.empty is not None and value == self.empty):
            return self.empty
        return self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None or (self.empty is not None and value == self.empty):
            return None
        return self.enum(value)

    @property
    def python_type(self) -> type[E]:
        return self.enum
