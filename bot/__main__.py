"""``python -m bot``: start the Discord bot.

Reads the process settings from the environment (:class:`bot.settings.Settings`), checks the policy
file, builds the bot with :func:`bot.discord_adapter.factory.create_bot` and runs it until stopped
(Ctrl-C or SIGTERM), then shuts down gracefully (scorer drained, database and session closed).

A missing token or an invalid configuration (process settings, the policy file, the context settings
of ``WARDEN_CONTEXT_CONFIG``, an unusable database path) ends the process at once with one line on
stderr and exit status 2 (also when the scorer's model cannot load); a token Discord rejects,
privileged intents not enabled in the developer portal, or Discord out of reach, with one line and
exit status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("bot")

EXIT_CONFIG = 2
EXIT_DISCORD = 1


def _fail(message: str, status: int) -> int:
    print(f"warden: error: {message}", file=sys.stderr)
    return status


def _configure_logging(level: str) -> None:
    from bot.logs import BOT_FORMAT, configure_logging

    configure_logging(level, fmt=BOT_FORMAT, stream=sys.stderr)  # facts given as extra= are printed
    # discord.py's gateway chatter stays at INFO even when Warden logs at DEBUG.
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(level)))


def check_policy(path: str | Path | None) -> None:
    """Load the policy the deployment configured (raises ``PolicyConfigError`` naming the bad key)."""
    from bot.policy import load_default_policy, load_policy_file

    default = load_default_policy()
    if path is not None:
        load_policy_file(path, base=default)


def check_extra_cogs(modules: Sequence[str]) -> None:
    """Import each deployment cog now, so a typo stops the start before connecting (``ValueError``)."""
    for module in modules:
        try:
            imported = importlib.import_module(module)
        except Exception as error:
            raise ValueError(f"cannot import {module!r}: {type(error).__name__}: {error}") from None
        if not callable(getattr(imported, "setup", None)):
            raise ValueError(f"{module!r} has no setup(bot) function: it is not a discord.py extension")


async def _run(settings: Settings) -> int:
    import aiohttp
    import discord

    from bot.discord_adapter.factory import create_bot
    from bot.scoring.base import ScoringError
    from bot.storage.errors import StorageError

    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # Warden has no voice features
    try:
        bot = create_bot(settings)
    except StorageError as error:  # DatabaseUnavailableError: names the file and why
        return _fail(str(error), EXIT_CONFIG)
    except (sqlite3.Error, OSError) as error:
        return _fail(f"cannot use database {settings.db_path}: {error}", EXIT_CONFIG)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform
            loop.add_signal_handler(signum, stop.set)
    token = settings.discord_token.get_secret_value()
    runner = asyncio.create_task(bot.start(token))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # re-raise login/connection failures
    except discord.LoginFailure:
        return _fail("Discord rejected DISCORD_TOKEN (reset it in the developer portal)", EXIT_DISCORD)
    except discord.PrivilegedIntentsRequired:
        return _fail(
            "the Message Content and Server Members intents must be enabled in the developer portal "
            "(Bot → Privileged Gateway Intents)",
            EXIT_DISCORD,
        )
    except (aiohttp.ClientError, OSError) as error:
        return _fail(f"cannot reach Discord: {error}", EXIT_DISCORD)
    except ScoringError as error:
        return _fail(f"the {settings.backend} scorer could not load: {error}", EXIT_CONFIG)
    finally:
        log.info("shutting down")
        stopper.cancel()
        await bot.close()
        if not runner.done():
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    from bot.context_settings import ContextConfigError
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        return _fail(str(error), EXIT_CONFIG)
    except ContextConfigError as error:  # the context section: WARDEN_CONTEXT_CONFIG and the switches
        return _fail(f"invalid context settings: {error}", EXIT_CONFIG)
    _configure_logging(settings.log_level)
    from bot.policy import PolicyConfigError

    try:
        check_policy(settings.config_path)
    except PolicyConfigError as error:
        return _fail(f"invalid policy: {error}", EXIT_CONFIG)
    try:
        check_extra_cogs(settings.extra_cogs)
    except ValueError as error:
        return _fail(f"WARDEN_EXTRA_COGS: {error}", EXIT_CONFIG)
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C during shutdown
        return 130


if __name__ == "__main__":
    sys.exit(main())
