"""The composition root: the ``WardenBot`` client and :func:`create_bot`, used by production and tests.

``create_bot(settings)`` is the one place that builds the process's shared resources and hands them to
the cogs through ``bot.services``:

- the SQLite :class:`~bot.storage.database.Database` (opened and migrated at once);
- the scorer front (a :class:`~bot.scoring.front.TieredFront` over ``build_backend(settings.backend)``:
  the full model behind a micro-batcher bounded by projected wait, the lexical tier for bursts; built
  in ``setup_hook`` off the event loop, because loading a model takes seconds);
- the aiohttp session (built in ``setup_hook``: it needs the running loop);
- the context service, when the context feature is installed (``bot.sources.build_context_service``);
- the repositories and the per-server policy store.

Tests pass their own ``database``/``scorer``/``session`` and get the same bot otherwise: same cogs,
same checks, same error handler. What ``create_bot`` was given stays the caller's to close; what it
built itself is closed by :meth:`WardenBot.close` (scorer drained first, then the messages in flight are
waited for, :meth:`WardenBot.in_flight`, then database and session).

Cogs are discovered by convention (:func:`cogs.discover`); deployments add their own by module path
(``WARDEN_EXTRA_COGS``). Every cog derives from :class:`cogs.common.WardenCog`, whose checks make a cog
that is switched off in a server silent there (``/warden cog disable NAME``); ``cogs.common`` also holds
the checks and the error policy this module's command tree reports through. What the cogs share,
:class:`~bot.services.Services`, is plain Python in :mod:`bot.services`.

This module and ``bot/__main__.py`` are the only core modules that import discord.py.
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

from bot.events import DECISION_EVENT, DecisionEvent
from bot.services import ScorerFront, Services
from bot.settings import Settings
from bot.storage.database import Database
from cogs.common import WardenCog, quote_member_text, report_error, require_permissions

__all__ = [  # the plugin API of docs/writing-a-cog.md stays importable from here; its home is cogs.common
    "ALWAYS_ON_COGS",
    "Services",
    "WardenBot",
    "WardenCog",
    "WardenTree",
    "build_scorer_backend",
    "create_bot",
    "default_intents",
    "quote_member_text",
    "require_permissions",
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
    """The Discord client. Build it with :func:`create_bot`."""

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
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=default_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=WardenTree,
        )
        self.services = services
        self.cog_modules: list[str] = list(cogs) if cogs is not None else []
        self.sync_commands = sync_commands
        self._owned = set(owned)
        self._scorer_factory = scorer_factory
        self._context_factory = context_factory
        self._services_closed = False
        self._in_flight: set[asyncio.Future[None]] = set()

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
        for module in self.cog_modules:
            await self.load_extension(module)
            log.info("loaded cog %s", module)
        if self.sync_commands:
            await self.sync_app_commands()

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
        """Log in one line who we are and how many servers we watch."""
        user = self.user
        log.info("connected as %s (%s) in %d servers", user, user.id if user else "?", len(self.guilds))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Listeners' unexpected errors: the traceback to the log, the bot keeps running."""
        log.error("unhandled error in listener %s", event_method, exc_info=sys.exc_info())

    # ------------------------------------------------------------------ helpers for cogs

    async def cog_enabled(self, feature: str, guild_id: int | None) -> bool:
        """True unless ``feature`` is switched off in ``guild_id`` by its policy."""
        if guild_id is None or feature in ALWAYS_ON_COGS:
            return True
        policies = self.services.policies
        if policies is None:
            return True
        return feature not in await policies.disabled_cogs(guild_id)

    def dispatch_decision(self, event: DecisionEvent) -> None:
        """Send a decision to every ``on_warden_decision`` listener (built-in cogs and plug-ins)."""
        self.dispatch(DECISION_EVENT, event)


async def _aclose(resource: object, names: Sequence[str]) -> None:
    for name in names:
        method = getattr(resource, name, None)
        if callable(method):
            result = method()
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                await result
            return


def create_bot(
    settings: Settings,
    *,
    database: Database | None = None,
    scorer: ScorerFront | None = None,
    session: aiohttp.ClientSession | None = None,
    context: Any = None,
    cogs: Sequence[str] | None = None,
    extra_cogs: Sequence[str] | None = None,
    sync_commands: bool = True,
) -> WardenBot:
    """Build the bot and its services. Production calls ``create_bot(settings)``; tests inject.

    ``database``: an open :class:`Database` (default: open ``settings.db_path``).
    ``scorer``: a :class:`ScorerFront` (default: a TieredFront over ``build_backend(settings.backend)``,
    built in ``setup_hook``).
    ``session``: an aiohttp session (default: one built in ``setup_hook``).
    ``context``: the context service (default: ``bot.sources.build_context_service`` when installed).
    ``cogs``: extension modules to load (default: every package under ``cogs/`` with a ``setup``).
    ``extra_cogs``: deployment cogs by module path, loaded after ``cogs`` (default:
    ``settings.extra_cogs``).
    """
    from cogs import discover

    owned: set[str] = set()
    if database is None:
        database = Database(settings.db_path)
        owned.add("database")
    services = Services(settings=settings, database=database, scorer=scorer, session=session, context=context)
    _attach_repositories(services, settings)
    modules = list(cogs) if cogs is not None else discover()
    for module in extra_cogs if extra_cogs is not None else settings.extra_cogs:
        if module not in modules:
            modules.append(module)

    scorer_factory = None if scorer is not None else _scorer_factory(settings)
    context_factory = None if context is not None else _context_factory(services)
    if context_factory is not None:
        owned.add("context")
    return WardenBot(
        services,
        cogs=modules,
        sync_commands=sync_commands,
        owned=owned,
        scorer_factory=scorer_factory,
        context_factory=context_factory,
    )


def _attach_repositories(services: Services, settings: Settings) -> None:
    """Repositories, the policy store and the infraction service over the one database."""
    from bot.moderation.infractions import InfractionService
    from bot.moderation.store import PolicyStore
    from bot.policy import load_default_policy, load_policy_file
    from bot.storage import CaseRepository, QueueRepository, ScoreRepository, SettingsRepository
    from bot.storage.decisions import DecisionRepository

    database = services.database
    defaults = load_policy_file(settings.config_path) if settings.config_path else load_default_policy()
    services.policies = PolicyStore(database, SettingsRepository(database, defaults))
    services.scores = ScoreRepository(database)
    services.cases = CaseRepository(database)
    services.queue = QueueRepository(database)
    services.decisions = DecisionRepository(database, services.scores, services.cases, services.queue)
    services.infractions = InfractionService(database, services.cases)


def build_scorer_backend(settings: Settings) -> Any:
    """The configured backend (blocking: loads the model)."""
    from bot.scoring.registry import build_backend

    if settings.backend == "detoxify":
        return build_backend(
            "detoxify",
            model_type=settings.detoxify_model,
            checkpoint=settings.detoxify_checkpoint,
            huggingface_config_path=settings.detoxify_config,
        )
    return build_backend(settings.backend)


def _scorer_factory(settings: Settings) -> Callable[[], Awaitable[Any]]:
    async def build() -> Any:
        from bot.scoring.front import TieredFront

        backend = await asyncio.to_thread(build_scorer_backend, settings)
        warm_up = getattr(backend, "warm_up", None)
        if warm_up is not None:  # load the weights at start, not on the first member's message
            await asyncio.to_thread(warm_up)
        from bot.pipeline.typos import preload

        await asyncio.to_thread(preload)  # the typo repair's vocabulary, also read off the event loop
        # 64 a batch: the embedding tier sorts a batch by length, so larger batches pad less. A message
        # the full model would answer later than 2 s is answered by the lexical tier (degraded).
        front = TieredFront(backend, max_batch=64, max_wait_ms=10)
        await front.start()
        log.info(
            "scorer ready: %s (%s), lexical tier for bursts: %s",
            backend.name,
            backend.model_version,
            "yes" if front.lexical is not None else "no (a refused message waits for the full model)",
        )
        return front

    return build


def _context_factory(services: Services) -> Callable[[], Awaitable[Any]] | None:
    try:
        from bot.sources import build_context_service  # type: ignore[attr-defined]
    except ImportError:
        return None

    async def build() -> Any:
        assert services.session is not None
        # The process settings' ``context`` section (WARDEN_CONTEXT_CONFIG, providers, API key, read by
        # Settings.from_env); none set = the local source library only.
        result = build_context_service(services.database, services.session, services.settings)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    return build
