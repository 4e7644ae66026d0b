"""``warden db copy SOURCE TARGET``: move a Warden database between SQLite and PostgreSQL.

The copying itself is :mod:`bot.storage.copy`; this module checks the arguments, opens both sides,
draws a progress line per table and prints the rows copied. It never prints a row's contents.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

if TYPE_CHECKING:  # imported when the command runs: `warden --help` stays quick
    from bot.storage.copy import CopyReport
    from bot.storage.database import Database

EXIT_FAILED = 1
EXIT_USAGE = 2

SourceArgument = Annotated[
    str,
    typer.Argument(help="The database to copy: a SQLite file or a postgresql:// URL.", show_default=False),
]
TargetArgument = Annotated[
    str,
    typer.Argument(
        help="An empty database to copy into: a SQLite file (created when missing) or a postgresql:// URL.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to the ``warden`` app."""
    db_app = typer.Typer(help="Move a Warden database between SQLite and PostgreSQL.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    db_app.command(name="copy")(copy)


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr, then exit with ``status``."""
    Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(status)


def copy(source: SourceArgument, target: TargetArgument) -> None:
    """Copy every table of SOURCE into the empty TARGET in one transaction (all or nothing), keeping
    ids and case numbers: a SQLite file into PostgreSQL when the bot grows past one process, or back
    into a SQLite file as a backup. Stop the bot first: what it writes during the copy is not copied."""
    from bot.storage.copy import same_database
    from bot.storage.database import is_postgres_url

    if same_database(source, target):
        fail("the source and the target are the same database")
    if not is_postgres_url(source) and not Path(source).is_file():
        fail(f"{source}: no such database file")
    origin = _open(source)
    try:
        destination = _open(target)
        try:
            report = _copy(origin, destination)
        finally:
            destination.close()
    finally:
        origin.close()
    _print_summary(report, origin.path, destination.path)


def _open(target: str) -> Database:
    """The database at ``target``, or one line and exit 2 (unreachable, not installed, too new)."""
    import sqlite3

    from bot.storage.database import Database
    from bot.storage.errors import StorageError

    try:
        return Database(target)
    except StorageError as exc:
        fail(str(exc))
    except (sqlite3.Error, OSError) as exc:
        fail(f"{target}: cannot open the database ({exc})")


def _copy(source: Database, target: Database) -> CopyReport:
    """Run the copy with a progress line per table; a refused or failed copy is one line."""
    from bot.storage.copy import CopyError, TargetNotEmptyError, copy_database

    err = Console(stderr=True, soft_wrap=True, highlight=False)
    columns = (TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn())
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=err, transient=True) as progress:  # the summary follows

        def show(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        try:
            return copy_database(source, target, progress=show)
        except TargetNotEmptyError as exc:
            fail(str(exc))
        except CopyError as exc:
            fail(str(exc), EXIT_FAILED)
        except (*source.dialect.errors, *target.dialect.errors) as exc:
            # the first line only: a constraint's DETAIL line may quote a row's values
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            fail(f"the copy failed and nothing was written to {target.path}: {reason}", EXIT_FAILED)


def _print_summary(report: CopyReport, source: str, target: str) -> None:
    """Rows per table, then one line with the total."""
    out = Console(soft_wrap=True, highlight=False)
    table = Table(box=None)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print(f"Copied {report.total:,} rows from {escape(source)} to {escape(target)}.")
