"""``warden sources add|feed|list|remove`` and ``warden context "claim"``: the source library and the
context search without Discord, on the same database the bot uses."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # the commands import the feature when they run: `warden --help` stays quick
    from bot.context_settings import ContextSettings
    from bot.sources import AddedSource, ContextService, Feed, LibrarySource
    from bot.storage.database import Database

T = TypeVar("T")

EXIT_CONFIG = 2

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file or postgresql:// URL (default: $WARDEN_DATABASE_URL, $WARDEN_DB_PATH or warden.db)",
        show_default=False,
    ),
]
GuildOption = Annotated[int, typer.Option("--guild", help="Guild id (0 = global, every guild)")]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file with a \\[context] section (providers, limits)",  # rich markup eats a bare [context]
        show_default=False,
    ),
]


def _db_path(db: str | None) -> str:
    return db or os.environ.get("WARDEN_DATABASE_URL") or os.environ.get("WARDEN_DB_PATH") or "warden.db"


def fail(message: str, status: int = EXIT_CONFIG) -> NoReturn:
    """One line on stderr, then exit with ``status`` (2: the configuration or the database is unusable)."""
    Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(status)


def _settings(config: Path | None) -> ContextSettings:
    """The ``[context]`` settings of ``--config``, else of ``$WARDEN_CONTEXT_CONFIG`` (validated)."""
    from bot.context_settings import ContextConfigError, load_context_file
    from bot.settings import context_from_env

    try:
        return load_context_file(config) if config is not None else context_from_env()
    except ContextConfigError as exc:
        fail(str(exc))


def open_database(path: str) -> Database:
    """The database at ``path``, or one line on stderr and exit 2 when it cannot be opened."""
    import sqlite3

    from bot.storage.database import Database
    from bot.storage.errors import StorageError

    try:
        return Database(path)
    except StorageError as exc:
        fail(str(exc))
    except (sqlite3.Error, OSError) as exc:
        fail(f"{path}: cannot open the database ({exc})")


def _run(db: str | None, config: Path | None, fn: Callable[[ContextService], Awaitable[T]]) -> T:
    """Open the database and an HTTP session, build the service, run ``fn(service)``, close everything.

    Bad ``[context]`` settings and an unusable database end the command first: one line, exit 2.
    """
    import aiohttp

    from bot.sources import build_context_service

    settings = _settings(config)
    database = open_database(_db_path(db))

    async def main() -> T:
        async with aiohttp.ClientSession() as session:
            service = build_context_service(database, session, settings)
            return await fn(service)

    try:
        return asyncio.run(main())
    finally:
        database.close()


def register(app: typer.Typer) -> None:
    """Add ``sources`` (a command group) and ``context`` to the ``warden`` app."""
    sources_app = typer.Typer(help="Manage the source library /context searches.", no_args_is_help=True)
    app.add_typer(sources_app, name="sources")
    console = Console()
    err = Console(stderr=True)

    @sources_app.command("add")
    def add(
        target: Annotated[str, typer.Argument(help="An HTML or text file, or an http(s) URL")],
        db: DbOption = None,
        guild: GuildOption = 0,
        config: ConfigOption = None,
    ) -> None:
        """Add an article (a file or a page) to the library."""
        from bot.sources.ingest import IngestError

        async def go(service: ContextService) -> AddedSource:
            if target.lower().startswith(("http://", "https://")):
                return await service.add_url(target, guild_id=guild)
            return await service.add_file(Path(target), guild_id=guild)

        try:
            added = _run(db, config, go)
        except IngestError as exc:
            err.print(f"[red]Could not add {escape(target)}:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        rating = f" (rating by publisher: {escape(added.rating)})" if added.rating else ""
        console.print(f"Added #{added.id} {escape(f'[{added.kind}]')} {escape(added.title)}{rating}")

    @sources_app.command("feed")
    def feed(
        url: Annotated[str, typer.Argument(help="RSS or Atom feed URL")],
        db: DbOption = None,
        guild: GuildOption = 0,
        config: ConfigOption = None,
        poll: Annotated[bool, typer.Option(help="Poll it now")] = True,
    ) -> None:
        """Register a feed (polled on a schedule by the bot) and poll it once."""
        from bot.sources.ingest import IngestError

        try:
            feed_id, added = _run(db, config, lambda s: s.add_feed(url, guild_id=guild, poll_now=poll))
        except IngestError as exc:
            err.print(f"[red]Could not add feed:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from exc
        console.print(f"Feed #{feed_id}: {added} entries stored")

    @sources_app.command("poll")
    def poll_cmd(db: DbOption = None, config: ConfigOption = None) -> None:
        """Poll every feed that is due (conditional GET)."""
        stored = _run(db, config, lambda s: s.poll_due_feeds())
        console.print(f"{stored} entries stored")

    @sources_app.command("list")
    def list_cmd(
        db: DbOption = None,
        guild: Annotated[int | None, typer.Option("--guild", help="Only what this guild sees")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """List sources and feeds."""

        async def go(service: ContextService) -> tuple[list[LibrarySource], list[Feed]]:
            return await service.list_sources(guild), await service.list_feeds(guild)

        rows, feeds = _run(db, None, go)
        if as_json:
            listing = {"sources": [r.to_dict() for r in rows], "feeds": [f.to_dict() for f in feeds]}
            typer.echo(json.dumps(listing, default=str))
            return
        table = Table("id", "guild", "kind", "date", "domain", "title", title="Sources")
        for r in rows:
            table.add_row(
                str(r.id), str(r.guild_id), r.kind, r.published or "", r.domain, escape(r.title[:80])
            )
        console.print(table)
        if feeds:
            ftable = Table("id", "guild", "url", "last polled", title="Feeds")
            for f in feeds:
                ftable.add_row(str(f.id), str(f.guild_id), escape(f.url), f.last_polled or "never")
            console.print(ftable)

    @sources_app.command("remove")
    def remove(
        source_id: Annotated[int, typer.Argument(metavar="ID")],
        db: DbOption = None,
        feed: Annotated[bool, typer.Option("--feed", help="ID is a feed id")] = False,
    ) -> None:
        """Remove a source (or, with --feed, a feed)."""
        if feed:
            ok = _run(db, None, lambda s: s.remove_feed(source_id))
        else:
            ok = _run(db, None, lambda s: s.remove_source(source_id))
        if not ok:
            err.print(f"No {'feed' if feed else 'source'} #{source_id}")
            raise typer.Exit(1)
        console.print(f"Removed {'feed' if feed else 'source'} #{source_id}")

    @app.command("context")
    def context(
        claim: Annotated[str, typer.Argument(help="The claim (or a whole message: a sentence is picked)")],
        as_json: Annotated[
            bool, typer.Option("--json", help="JSON list of {title,url,kind,score} only")
        ] = False,
        guild: GuildOption = 0,
        channel: Annotated[
            int | None, typer.Option("--channel", help="Channel id (its article first)")
        ] = None,
        db: DbOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Sources that may be relevant to a claim (never a verdict)."""
        from bot.sources import NO_RESULTS_TEXT

        result = _run(db, config, lambda s: s.context(claim, guild_id=guild, channel_id=channel))
        if as_json:
            typer.echo(
                json.dumps(
                    [
                        {"title": s.title, "url": s.url, "kind": str(s.kind), "score": round(s.score, 3)}
                        for s in result.sources
                    ]
                )
            )
            return
        console.print(f"[bold]Searched:[/bold] {escape(result.claim)}")
        if result.empty:
            console.print(NO_RESULTS_TEXT)
            return
        table = Table(
            "#",
            "kind",
            "domain",
            "date",
            "title",
            "score",
            "publisher's rating",
            title="Sources that may be relevant",
        )
        for i, s in enumerate(result.sources, start=1):
            rating = f"“{s.rating}” ({s.rating_author or s.domain})" if s.rating else ""
            table.add_row(
                str(i),
                str(s.kind),
                s.domain,
                s.date or "",
                f"[link={s.url}]{escape(s.title)}[/link]",
                f"{s.score:.2f}",
                escape(rating),
            )
        console.print(table)
        console.print("[dim]Automated matches from this server's configured sources; not a verdict.[/dim]")
