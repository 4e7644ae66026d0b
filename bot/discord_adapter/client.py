"""The Discord client: :class:`WardenBot`, its command tree and its lifecycle.

Build it with :func:`bot.discord_adapter.factory.create_bot` (production and tests alike): the factory
builds the shared :class:`~bot.services.Services` and wires what features share (the moderation
actions, the per-server acting switch); the bot loads the cogs by their dotted module names in
``setup_hook``, finishes what needs the running loop (HTTP session, scorer, context service), syncs the
slash commands, and on :meth:`WardenBot.close` drains and closes what the factory built.

The bot never imports a cog: cogs are extensions it loads by name, and what they share is here, in
:mod:`bot.discord_adapter`, or in the plain-Python core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.actions import DiscordActions
from bot.discord_adapter.appeal import AppealButton
from bot.discord_adapter.reporting import report_error
from bot.events import DECISION_EVENT, DecisionEvent
from bot.services import Services
from bot.sharding import SINGLE_PROCESS, ShardScope
from bot.storage.posts import PostRepository

__all__ = [
    "ALWAYS_ON_COGS",
    "IN_FLIGHT_TIMEOUT_S",
    "ShardedWardenBot",
    "WardenBot",
    "WardenTree",
    "default_intents",
]

log = logging.getLogger(__name__)

ALWAYS_ON_COGS: frozenset[str] = frozenset({"admin"})
"""Cogs that cannot be switched off per server (the switch itself lives in ``admin``)."""

IN_FLIGHT_TIMEOUT_S = 10.0
"""How long a graceful shutdown waits for work marked :meth:`WardenBot.in_flight` (messages being
scored and stored) after draining the scorer and before closing the database."""


class WardenTree(app_commands.CommandTree["WardenBot"]):
    """The command tree with the one error policy for slash commands and context menus."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Short ephemeral message for the member; the traceback, for unexpected errors, to the log."""
        await report_error(interaction, error)


# --------------------------------------------------------------------------- the bot


def default_intents() -> discord.Intents:
    """Guilds, guild messages, message content (privileged) and members (privileged)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    intents.members = True
    return intents


class WardenBot(commands.Bot):
    """The Discord client. Build it with :func:`create_bot`.

    ``shards``: this process's share of a sharded deployment (:class:`~bot.sharding.ShardScope`); the
    sharded client is :class:`ShardedWardenBot`, which passes it to discord.py. Only the process that
    owns shard 0 (:attr:`ShardScope.primary <bot.sharding.ShardScope.primary>`) syncs the slash commands.
    """

    services: Services

    def __init__(
        self,
        services: Services,
        *,
        cogs: Sequence[str] | None = None,
        sync_commands: bool = True,
        owned: Iterable[str] = (),
        scorer_factory: Callable[[], Awaitable[Any]] | None = None,
        context_factory: Callable[[], Awaitable[Any]] | None = None,
        shards: ShardScope = SINGLE_PROCESS,
        **client_options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=default_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=WardenTree,
            **client_options,
        )
        self.services = services
        self.shard_scope = shards
        """This process's share of the shards (every server when unsharded)."""
        self.cog_modules: list[str] = list(cogs) if cogs is not None else []
        self.sync_commands = sync_commands
        self._owned = set(owned)
        self._scorer_factory = scorer_factory
        self._context_factory = context_factory
        self._services_closed = False
        self._in_flight: set[asyncio.Future[None]] = set()
        self.posts = PostRepository(services.database)
        """The bot's posts quoting a member (modlog posts), for ``/warden forget``."""

    # ------------------------------------------------------------------ lifecycle

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Mark a unit of work (scoring and storing one message) that the shutdown must let finish:
        :meth:`close_services` waits for it (``IN_FLIGHT_TIMEOUT_S`` at most) before closing the
        database, so a message whose scores were drained from the scorer is still recorded."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight.add(done)
        try:
            yield
        finally:
            self._in_flight.discard(done)
            if not done.done():
                done.set_result(None)

    @property
    def in_flight_count(self) -> int:
        """Units of work marked :meth:`in_flight` that have not finished."""
        return len(self._in_flight)

    async def wait_in_flight(self, timeout: float = IN_FLIGHT_TIMEOUT_S) -> int:  # noqa: ASYNC109
        """Wait (at most ``timeout`` seconds) for the work marked :meth:`in_flight`; returns how many
        units were still unfinished when the time ran out (0: all finished)."""
        pending = set(self._in_flight)
        if not pending:
            return 0
        log.info("waiting for %d in-flight message(s) before closing", len(pending))
        _done, unfinished = await asyncio.wait(pending, timeout=timeout)
        if unfinished:
            log.warning(
                "%d in-flight message(s) did not finish within %.0f s; closing anyway",
                len(unfinished),
                timeout,
            )
        return len(unfinished)

    async def setup_hook(self) -> None:
        """Finish the services that need the loop, load the cogs, sync the slash commands."""
        services = self.services
        if services.session is None:
            services.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
            self._owned.add("session")
        if services.scorer is None and self._scorer_factory is not None:
            services.scorer = await self._scorer_factory()
            self._owned.add("scorer")
        if services.context is None and self._context_factory is not None:
            services.context = await self._context_factory()
        # The Appeal button rides on the DMs of the moderation actions, whichever feature opened the case.
        self.add_dynamic_items(AppealButton)
        for module in self.cog_modules:
            await self.load_extension(module)
            log.info("loaded cog %s", module)
        if self.sync_commands and self.shard_scope.primary:
            await self.sync_app_commands()
        elif self.sync_commands:
            log.info("slash commands not synced here: the process that owns shard 0 syncs them")

    async def sync_app_commands(self) -> list[app_commands.AppCommand]:
        """Sync to the test guild when ``WARDEN_TEST_GUILD_ID`` is set (instant), globally otherwise."""
        guild_id = self.services.settings.test_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands to test guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d slash commands globally", len(synced))
        return synced

    async def close(self) -> None:
        """Graceful shutdown: disconnect and unload the cogs (expiry timers stop; they are stored), then
        drain the scorer, wait for the messages in flight to be stored (``IN_FLIGHT_TIMEOUT_S`` at most) and
        close the database and the session."""
        try:
            await super().close()
        finally:
            await self.close_services()

    async def close_services(self) -> None:
        """Drain and close what :func:`create_bot` built (what it was given stays the caller's)."""
        if self._services_closed:
            return
        self._services_closed = True
        services = self.services
        if "scorer" in self._owned and services.scorer is not None:
            await _aclose(services.scorer, ("drain", "aclose", "close", "stop"))
        # Listeners whose scores were just drained still store them (and the database is still open).
        await self.wait_in_flight()
        if "context" in self._owned and services.context is not None:
            await _aclose(services.context, ("aclose", "close"))
        if "session" in self._owned and services.session is not None and not services.session.closed:
            await services.session.close()
        if "database" in self._owned:
            await asyncio.to_thread(services.database.close)

    async def on_ready(self) -> None:
        """Log in one line who we are and how many servers we watch (on which shards)."""
        user = self.user
        log.info(
            "connected as %s (%s) in %d servers (%s)",
            user,
            user.id if user else "?",
            len(self.guilds),
            self.shard_scope.describe(),
        )

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Listeners' unexpected errors: the traceback to the log, the bot keeps running."""
        log.error("unhandled error in listener %s", event_method, exc_info=sys.exc_info())

    # ------------------------------------------------------------------ helpers for cogs

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process does the chores of ``guild_id`` (re-armed expiries, feed polls): the
        server is on one of its shards (:func:`bot.sharding.owns_guild`); always true unsharded."""
        return self.shard_scope.owns(guild_id)

    async def cog_enabled(self, feature: str, guild_id: int | None) -> bool:
        """True unless ``feature`` is switched off in ``guild_id`` by its policy."""
        if guild_id is None or feature in ALWAYS_ON_COGS:
            return True
        policies = self.services.policies
        if policies is None:
            return True
        return feature not in await policies.disabled_cogs(guild_id)

    async def acting_enabled(self, guild_id: int) -> bool:
        """Whether the policy's ``warn``/``delete``/``timeout`` decisions are carried out in
        ``guild_id``: a loaded cog that :attr:`~bot.discord_adapter.plugin.WardenCog.carries_out_decisions`
        (the warnings cog) is switched on there."""
        for cog in list(self.cogs.values()):
            if getattr(cog, "carries_out_decisions", False) and await self.cog_enabled(
                getattr(cog, "feature", ""), guild_id
            ):
                return True
        return False

    def moderation_actions(self, guild_id: int) -> DiscordActions | None:
        """The Discord side of the infraction service in ``guild_id`` (``None``: a server the bot is
        not in). Wired by :func:`~bot.discord_adapter.factory.create_bot` as
        ``InfractionService.actions_for``, so every feature acts through the same actions."""
        guild = self.get_guild(guild_id)
        return DiscordActions(self, guild, self.posts) if guild is not None else None

    def dispatch_decision(self, event: DecisionEvent) -> None:
        """Send a decision to every ``on_warden_decision`` listener (built-in cogs and plug-ins)."""
        self.dispatch(DECISION_EVENT, event)


class ShardedWardenBot(WardenBot, commands.AutoShardedBot):
    """:class:`WardenBot` over some of a deployment's shards (``WARDEN_SHARD_COUNT``,
    ``WARDEN_SHARD_IDS``): one ``discord.AutoShardedBot`` connection per shard in this process, the
    same cogs and services. Several such processes share one PostgreSQL database."""

    def __init__(self, services: Services, *, shards: ShardScope, **options: Any) -> None:
        if not shards.sharded:
            raise ValueError("ShardedWardenBot needs a sharded ShardScope (use WardenBot otherwise)")
        super().__init__(
            services, shards=shards, shard_count=shards.count, shard_ids=list(shards.ids), **options
        )

    async def on_shard_ready(self, shard_id: int) -> None:
        """Log each shard as it becomes ready."""
        log.info("shard %d of %d ready", shard_id, self.shard_scope.count)


async def _aclose(resource: object, names: Sequence[str]) -> None:
    for name in names:
        method = getattr(resource, name, None)
        if callable(method):
            result = method()
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                await result
            return
