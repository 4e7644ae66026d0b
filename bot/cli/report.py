"""``warden report`` and ``warden tune``: a server's trends as a chart, and thresholds its moderators'
decisions suggest, read from a Warden database (the bot's, or one ``warden replay --db`` wrote)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.policy import load_default_policy
from bot.reports.chart import render_png
from bot.reports.trends import build_trends, guilds, latest_activity, summary
from bot.reports.tune import MIN_DECISIONS, suggest_all
from bot.storage.database import Database, is_postgres_url
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.queue import QueueRepository
from bot.storage.settings import SettingsRepository

DbOption = Annotated[
    str, typer.Option("--db", help="The Warden database: a SQLite file or a postgresql:// URL.")
]
GuildOption = Annotated[
    int | None, typer.Option("--guild", min=1, help="The server (needed when the file holds several).")
]


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``tune`` to the ``warden`` app."""
    app.command(name="report")(report)
    app.command(name="tune")(tune)


def open_existing(path: str, console: Console) -> Database:
    """The database at ``path`` (a file or a ``postgresql://`` URL); a missing or unusable file is one
    line and exit 1 (never a new file)."""
    if not is_postgres_url(path) and not Path(path).is_file():
        console.print(f"[red]error:[/] {escape(str(path))}: no such database file")
        raise typer.Exit(1)
    try:
        return Database(path)
    except DatabaseUnavailableError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def pick_guild(database: Database, guild: int | None, path: str, console: Console) -> int:
    """``guild``, or the only server in the file; a clear error when there is none or several."""
    found = guilds(database)
    path = database.path  # a URL without its password
    if guild is not None:
        return guild
    if not found:
        console.print(f"[red]error:[/] {escape(str(path))}: no scored messages or queue entries yet")
        raise typer.Exit(1)
    if len(found) > 1:
        listed = ", ".join(str(number) for number in found[:10])
        console.print(
            f"[red]error:[/] {escape(str(path))} holds several servers: pass --guild (one of {listed})"
        )
        raise typer.Exit(2)
    return found[0]


def report(
    db: DbOption,
    png: Annotated[Path, typer.Option("--png", help="Where to write the chart (PNG).")],
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="Days shown, up to the last one.")] = 30,
    guild: GuildOption = None,
) -> None:
    """Chart a server's last days: decisions by action, labels, queue resolution time, channels, false
    positives. The window ends with the day of the last recorded activity (a replayed thread's own days)."""
    err = Console(stderr=True, soft_wrap=True)
    if not png.parent.is_dir():
        err.print(f"[red]error:[/] {escape(str(png))}: no such folder for the chart")
        raise typer.Exit(1)
    database = open_existing(db, err)
    try:
        server = pick_guild(database, guild, db, err)
        end = latest_activity(database, server)
        if end is None:
            err.print(f"[red]error:[/] {escape(database.path)}: nothing recorded for server {server}")
            raise typer.Exit(1)
        trends = build_trends(database, server, days=days, end=end)
    finally:
        database.close()
    image = render_png(trends, title=f"Warden: server {server}, last {days} day{'s' if days != 1 else ''}")
    partial = png.with_name(f".{png.name}.partial")
    try:
        partial.write_bytes(image)
        partial.replace(png)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        err.print(
            f"[red]error:[/] {escape(str(png))}: cannot write the chart ({escape(exc.strerror or str(exc))})"
        )
        raise typer.Exit(1) from exc
    Console(soft_wrap=True).print(f"Server {server}, {summary(trends)} Chart written to {escape(str(png))}.")


def tune(
    db: DbOption,
    guild: GuildOption = None,
    needed: Annotated[
        int, typer.Option("--min", min=1, help="Verdicts a label needs before a threshold is suggested.")
    ] = MIN_DECISIONS,
) -> None:
    """Suggest per-label thresholds from the moderators' queue verdicts (approved = false positive);
    nothing is changed: apply one with /warden tune's button or /warden thresholds."""
    err = Console(stderr=True, soft_wrap=True)
    database = open_existing(db, err)
    try:
        server = pick_guild(database, guild, db, err)
        feedback = QueueRepository(database).list_feedback(server)
        thresholds = SettingsRepository(database, load_default_policy()).effective(server).thresholds
    finally:
        database.close()
    out = Console(soft_wrap=True, highlight=False)
    out.print(f"Server {server}: {len(feedback)} queue verdicts.")
    for suggestion in suggest_all(feedback, thresholds, needed=needed):
        out.print(escape(suggestion.text()))
