"""The ``warden`` command line: offline replay of a thread, reports, source-library administration, and
copying a database between backends."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from bot.logs import CLI_FORMAT, configure_logging

app = typer.Typer(
    name="warden",
    help="Warden: moderation for news-discussion communities. Replay a thread offline, manage sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG level to stderr.")] = False,
) -> None:
    """Warden's command line."""
    configure_logging(logging.DEBUG if verbose else logging.WARNING, fmt=CLI_FORMAT)


def _register_subcommands() -> None:
    from bot.cli import db, replay, report, sources

    db.register(app)
    replay.register(app)
    report.register(app)
    sources.register(app)


_register_subcommands()


def main() -> None:
    """Entry point of the ``warden`` script."""
    app()
