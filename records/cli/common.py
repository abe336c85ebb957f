"""What every command module shares."""
from __future__ import annotations

from typing import NoReturn

import click

from records.errors import UserError


def fail(exc: UserError) -> NoReturn:
    """End a command with the user's message of a refused operation (exit status 1)."""
    raise click.ClickException(str(exc.message))
