"""``flask --app app ...`` commands: setup, serve, users, db, nomenclature."""
from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from records import accounts, migrate, nomenclature
from records.cli.common import fail
from records.db import get_database, session_scope
from records.errors import UserError
from records.models import User
from records.permissions import Role


def server_settings(config: dict) -> dict:
    """waitress's settings for the production server.

    waitress reads a request's headers and body in its event loop, buffering a large body to a temp
    file, and only a complete request reaches a thread: slow clients hold connections, never threads.
    So what must be large is the connection limit (waitress's default of 100 let a hundred clients
    trickling a byte at a time lock everyone out), with ``poll`` instead of ``select`` (limited to 1024
    descriptors) and the descriptor limit raised to match; what must be short is the time a
    connection may stay silent, checked every few seconds."""
    _raise_open_files(config["CONNECTION_LIMIT"] + 256)
    return {"threads": config["THREADS"], "connection_limit": config["CONNECTION_LIMIT"],
            "channel_timeout": config["CHANNEL_TIMEOUT"], "cleanup_interval": 5, "asyncore_use_poll": True,
            "backlog": 2048, "ident": "sandyk"}


def _raise_open_files(wanted: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def setup_data(app: Flask, *, echo: bool = True) -> None:
    """Bring a data folder to a ready state; running it again changes nothing."""
    data_dir = Path(app.config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "tmp").mkdir(exist_ok=True)
    migrate.upgrade(app.config["DATABASE_URL"])
    year = date.today().year
    with session_scope(app) as session:
        if nomenclature.get(session, year) is None:
            nomenclature.ensure_shipped(session, year, actor="setup")
            if echo:
                click.echo(f"Loaded the department nomenclature for {year}.")
        if not session.scalar(select(func.count(User.id))):
            password = app.config["ADMIN_PASSWORD"]
            generated = not password
            if generated:
                password = secrets.token_urlsafe(12) + "-7a"
            admin = accounts.create_user(session, "admin", password, [Role.ADMIN],
                                         min_length=app.config["PASSWORD_MIN_LENGTH"], actor="setup")
            if generated:
                # A password printed on a console is not a secret: it must be replaced at first sign-in.
                admin.password_changed_at = None
            if echo:
                if generated:
                    click.echo("Created the administrator 'admin' with the password (shown only this once; "
                               "it must be changed at first sign-in):")
                    click.echo(f"    {password}")
                else:
                    click.echo("Created the administrator 'admin' with the password from SANDYK_ADMIN_PASSWORD.")
    if echo:
        click.echo(f"Data folder ready: {data_dir}")


def register_commands(app: Flask) -> None:
    @app.cli.command("setup")
    @with_appcontext
    def setup_command() -> None:
        """Create or upgrade the data folder: schema, nomenclature of this year, first administrator."""
        setup_data(current_app)

    @app.cli.command("serve")
    @click.option("--host", default=None, help="Address to listen on (SANDYK_HOST, default 127.0.0.1).")
    @click.option("--port", default=None, type=int, help="Port (SANDYK_PORT, default 8080).")
    @with_appcontext
    def serve_command(host: str | None, port: int | None) -> None:
        """Set up the data folder, then serve the app with the production WSGI server (waitress)."""
        from records import serving

        app_obj = current_app._get_current_object()
        host = host or app_obj.config["HOST"]
        port = port or app_obj.config["PORT"]

        def ready() -> None:
            setup_data(app_obj)
            processes = serving.process_count(app_obj.config)
            click.echo(f"Sandyk is serving on http://{host}:{port}/ "
                       f"({processes} {'process' if processes == 1 else 'processes'})")

        try:
            serving.serve(app_obj, host, port, server_settings(app_obj.config), ready=ready)
        except serving.ListenError as exc:
            # Most often another Sandyk (or another program) already listens there.
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc}. "
                                       "Is Sandyk already running? Choose another port with --port.") from None

    from records.cli import disposition, imports, index, trust, worker

    for group in (*GROUPS, *disposition.GROUPS, *imports.GROUPS, *index.GROUPS, *trust.GROUPS, *worker.GROUPS):
        app.cli.add_command(group)


users_cli = AppGroup("users", help="Accounts and API tokens.")
T = TypeVar("T")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role]), help="Role; repeat for several.")
@click.option("--full-name", default="", help="The person's name as shown in the app.")
def users_create(name: str, roles: tuple[str, ...], full_name: str) -> None:
    """Create a user; the password is read from standard input or asked for."""
    password = _read_password()
    try:
        with session_scope() as session:
            user = accounts.create_user(session, name, password, list(roles), full_name=full_name,
                                        min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor="cli")
            click.echo(f"Created user {user.username} ({', '.join(sorted(user.roles))}).")
    except UserError as exc:
        fail(exc)


@users_cli.command("token")
@click.argument("name")
@click.option("--days", type=int, default=None, help="How long the token lasts (SANDYK_TOKEN_DAYS, default 365).")
def users_token(name: str, days: int | None) -> None:
    """Print a new API bearer token for a user (shown only this once)."""
    click.echo(_on_user(name, lambda session, user: accounts.issue_token(session, user, actor="cli", days=days)))


def _on_user(name: str, work: Callable[[Any, User], T]) -> T:
    """Run ``work`` on the named user in one transaction; a refusal ends the command with its message."""
    try:
        with session_scope() as session:
            return work(session, accounts.get_user(session, name))
    except UserError as exc:
        raise click.ClickException(str(exc.message)) from None


def _token_line(row: Any) -> str:
    used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
    return (f"{row.id:>5}  {row.prefix}…  made {row.created_at:%Y-%m-%d}  used {used:16}  "
            f"expires {accounts.token_expiry(row):%Y-%m-%d}  {accounts.token_state(row)}")


@users_cli.command("tokens")
@click.argument("name")
def users_tokens(name: str) -> None:
    """List a user's API tokens: number, how it begins, made, last used, expires, state."""
    lines = _on_user(name, lambda session, user: [_token_line(r) for r in accounts.list_tokens(session, user)])
    click.echo("\n".join(lines) if lines else f"{name} has no tokens.")


@users_cli.command("revoke")
@click.argument("name")
@click.argument("token_id", metavar="[TOKEN-ID]", type=int, required=False)
def users_revoke(name: str, token_id: int | None) -> None:
    """Revoke one API token of a user (its number from `users tokens`), or all of them."""
    count = _on_user(name, lambda session, user: accounts.revoke_tokens(session, user, actor="cli",
                                                                        token_id=token_id))
    click.echo(f"Revoked {count} token(s) of {name}.")


@users_cli.command("password")
@click.argument("name")
def users_password(name: str) -> None:
    """Set a user's password (read from standard input or asked for); ends the user's sessions, revokes
    their API tokens and forgets failed sign-ins on the name."""
    password = _read_password()
    try:
        with session_scope() as session:
            accounts.set_password(session, accounts.get_user(session, name), password,
                                  min_length=current_app.config["PASSWORD_MIN_LENGTH"], actor="cli")
    except UserError as exc:
        fail(exc)
    click.echo(f"Password of {name} changed.")


@users_cli.command("list")
def users_list() -> None:
    """List users and their roles."""
    with session_scope() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "active" if user.active else "off"
            click.echo(f"{user.username:20} {state:7} {','.join(sorted(user.roles))}")


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is at the latest revision.")


@db_cli.command("check")
def db_check() -> None:
    """Fail if the database is not at the latest revision or differs from the models."""
    url = current_app.config["DATABASE_URL"]
    engine = get_database().engine
    current, heads = migrate.current_revisions(engine), migrate.head_revisions(url)
    if current != heads:
        raise click.ClickException(f"Database is at {sorted(current)}, the latest is {sorted(heads)}.")
    diffs = migrate.drift(engine)
    if diffs:
        raise click.ClickException("The models differ from the migrations:\n" + "\n".join(map(str, diffs)))
    click.echo("Database matches the models.")
    if engine.dialect.name == "postgresql":
        from records.search.pg_index import tuning_warnings

        for warning in tuning_warnings(engine):
            click.echo(f"Warning: {warning}", err=True)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    command.revision(migrate.alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True)


nomenclature_cli = AppGroup("nomenclature", help="The yearly nomenclature of cases.")


@nomenclature_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, required=True)
def nomenclature_import(path: Path, year: int) -> None:
    """Import a nomenclature table (CSV or XLSX) into a year's draft."""
    data = path.read_bytes()
    try:
        rows = nomenclature.read_xlsx(data) if data[:2] == b"PK" else nomenclature.read_csv(data)
        with session_scope() as session:
            nom = nomenclature.get(session, year)
            if nom is None:
                nomenclature.create(session, year, rows, actor="cli", source=path.name)
            else:
                nomenclature.replace_items(session, nom, rows, actor="cli", source=path.name)
    except UserError as exc:
        fail(exc)
    click.echo(f"Imported {len(rows)} items into {year}.")


@nomenclature_cli.command("export")
@click.option("--year", type=int, required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
def nomenclature_export(year: int, fmt: str, dest: Path) -> None:
    """Export a year's nomenclature to CSV or XLSX."""
    try:
        with session_scope() as session:
            nom = nomenclature.require(session, year)
            if fmt == "csv":
                dest.write_text(nomenclature.export_csv(nom), encoding="utf-8")
            else:
                dest.write_bytes(nomenclature.export_xlsx(nom))
    except UserError as exc:
        fail(exc)
    click.echo(f"Wrote {dest}.")


@nomenclature_cli.command("copy")
@click.argument("from_year", type=int)
@click.argument("to_year", type=int)
def nomenclature_copy(from_year: int, to_year: int) -> None:
    """Draft TO_YEAR's nomenclature as a copy of FROM_YEAR's."""
    try:
        with session_scope() as session:
            nomenclature.copy_to_year(session, from_year, to_year, actor=None)
    except UserError as exc:
        fail(exc)
    click.echo(f"Drafted {to_year} from {from_year}.")


# The command groups this module adds to ``flask``.
GROUPS = (users_cli, db_cli, nomenclature_cli)
