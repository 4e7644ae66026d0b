"""The composition root: the ``WardenBot`` client and :func:`create_bot`, used by production and tests.

``create_bot(settings)`` is the one place that builds the process's shared resources and hands them to
the cogs through ``bot.services``:

- the SQLite :class:`~bot.storage.database.Database` (opened and migrated at once);
- the scorer front (a :class:`~bot.scoring.batcher.MicroBatcher` over ``build_backend(settings.backend)``,
  built in ``setup_hook`` off the event loop, because loading a model takes seconds);
- the aiohttp session (built in ``setup_hook``: it needs the running loop);
- the context service, when the context feature is installed (``bot.sources.build_context_service``);
- the repositories and the per-server policy store.

Tests pass their own ``database``/``scorer``/``session`` and get the same bot otherwise: same cogs,
same checks, same error handler. What ``create_bot`` was given stays the caller's to close; what it
built itself is closed by :meth:`WardenBot.close` (scorer drained first, then database and session).

Cogs are discovered by convention (:func:`cogs.discover`); deployments add their own by module path
(``WARDEN_EXTRA_COGS``). Every cog derives from :class:`WardenCog`, whose checks make a cog that is
switched off in a server silent there (``/warden cog disable NAME``).

This module and ``bot/__main__.py`` are the only core modules that import discord.py.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import (
    CogDisabledError,
    MissingPermissionError,
    WardenError,
    permission_name,
)
from bot.events import DECISION_EVENT, DecisionEvent
from bot.moderation.moderators import NotModeratorError, is_policy_moderator
from bot.scoring.base import Scores
from bot.settings import Settings
from bot.storage.database import Database

log = logging.getLogger(__name__)

ALWAYS_ON_COGS: frozenset[str] = frozenset({"admin"})
"""Cogs that cannot be switched off per server (the switch itself lives in ``admin``)."""


# --------------------------------------------------------------------------- the scorer front


@runtime_checkable
class ScorerFront(Protocol):
    """What the cogs need from the scorer: one awaitable score per prepared text.

    :class:`bot.scoring.batcher.MicroBatcher` is the production implementation (bounded queue, batches,
    inference in a worker thread). ``score`` raises the batcher's ``Overloaded`` when its queue is full.
    """

    async def score(self, text: str) -> Scores:
        """Score one prepared text."""
        ...


def scorer_model_version(scorer: object) -> str:
    """The model version the scorer reports (``"unknown"`` when it reports none)."""
    for owner in (scorer, getattr(scorer, "backend", None)):
        version = getattr(owner, "model_version", None)
        if isinstance(version, str) and version:
            return version
    return "unknown"


def scorer_backend_name(scorer: object, default: str = "unknown") -> str:
    """The backend name (``embedded``/``detoxify``) behind the scorer front."""
    for owner in (getattr(scorer, "backend", None), scorer):
        name = getattr(owner, "name", None)
        if isinstance(name, str) and name:
            return name
    return default


def scorer_queue_depth(scorer: object) -> int:
    """Texts waiting in the scorer front's queue (0 when it keeps none)."""
    depth = getattr(scorer, "queue_depth", 0)
    return depth if isinstance(depth, int) else 0


# --------------------------------------------------------------------------- metrics


@dataclass
class ScoringMetrics:
    """In-process scoring numbers for ``/warden status``: end-to-end latency per message (prepare +
    every chunk through the scorer front) and how often the scorer was overloaded."""

    window: int = 2048
    latencies_ms: deque[float] = field(default_factory=deque)
    overloaded: int = 0

    def record(self, latency_ms: float) -> None:
        """Remember one scored message's latency."""
        self.latencies_ms.append(latency_ms)
        while len(self.latencies_ms) > self.window:
            self.latencies_ms.popleft()

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (1-99) of recent latencies in ms; ``None`` before the first message."""
        values = sorted(self.latencies_ms)
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return cuts[min(98, max(0, round(q) - 1))]


# --------------------------------------------------------------------------- services


@dataclass
class Services:
    """Everything the cogs share, built once by :func:`create_bot` (``bot.services``)."""

    settings: Settings
    database: Database
    scorer: ScorerFront | None = None
    session: aiohttp.ClientSession | None = None
    context: Any = None
    policies: Any = None
    scores: Any = None
    cases: Any = None
    queue: Any = None
    infractions: Any = None
    metrics: ScoringMetrics = field(default_factory=ScoringMetrics)
    started_at: float = field(default_factory=time.monotonic)

    @property
    def backend_name(self) -> str:
        """The configured backend name (``embedded``/``detoxify``)."""
        return scorer_backend_name(self.scorer, self.settings.backend)

    @property
    def model_version(self) -> str:
        """The scorer's model version."""
        return scorer_model_version(self.scorer)


# --------------------------------------------------------------------------- checks and cog base


class WardenCheckFailure(app_commands.CheckFailure):
    """A check failed with a domain error; ``original`` is the :class:`~bot.errors.WardenError`."""

    def __init__(self, error: WardenError) -> None:
        super().__init__(error.user_message)
        self.original = error


def require_permissions(**perms: bool) -> Callable[[Any], Any]:
    """App-command check: the invoking member has these guild permissions *now* (run-time re-check).

    Pair it with ``app_commands.default_permissions(...)``, which only sets what Discord shows by
    default and can be overridden by server admins in the integration settings.
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise WardenCheckFailure(WardenError("This command only works in a server."))
        have = member.guild_permissions
        for name, wanted in perms.items():
            if wanted and not getattr(have, name) and not have.administrator:
                raise WardenCheckFailure(MissingPermissionError(name))
        return True

    return app_commands.check(predicate)


async def member_is_moderator(bot: WardenBot, member: discord.Member) -> bool:
    """Manage Messages (or Administrator) or one of the server's moderator roles, *now*.

    The one moderator check of every cog (:func:`bot.moderation.moderators.is_moderator`); the roles
    are the policy's ``moderator_roles`` (``/warden setup moderator_role:``).
    """
    permissions = member.guild_permissions
    policy = await bot.services.policies.get(member.guild.id)
    return is_policy_moderator(
        policy,
        manage_messages=permissions.manage_messages or permissions.administrator,
        role_ids=[role.id for role in member.roles],
    )


def require_moderator() -> Callable[[Any], Any]:
    """App-command check: the invoking member is a moderator (:func:`member_is_moderator`) *now*.

    Pair it with ``app_commands.default_permissions(manage_messages=True)``: Discord then hides the
    command from members without Manage Messages, role-only moderators included, unless the server
    allows their role in Server Settings → Integrations; this run-time check is what accepts the role.
    Refusals are a :class:`~bot.moderation.moderators.NotModeratorError` (a ``MissingPermissionError``
    for Manage Messages whose message mentions the moderator role).
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member) or interaction.guild_id is None:
            raise WardenCheckFailure(WardenError("This command only works in a server."))
        if not await member_is_moderator(interaction.client, member):  # type: ignore[arg-type]
            raise WardenCheckFailure(NotModeratorError())
        return True

    return app_commands.check(predicate)


class WardenCog(commands.Cog):
    """Base of every Warden cog: a feature name and the per-server on/off guard.

    ``feature`` is the name admins use in ``/warden cog enable|disable NAME`` (default: the cog's
    package name, e.g. ``scoring`` for ``cogs.scoring``). Slash commands of a switched-off cog answer
    with a short ephemeral note; listeners must start with ``if not await self.enabled_in(guild_id):
    return`` (the guard chain).
    """

    feature: ClassVar[str] = ""

    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("feature"):
            module = cls.__module__
            parts = module.split(".")
            cls.feature = parts[1] if parts[0] == "cogs" and len(parts) > 1 else parts[-1]

    @property
    def services(self) -> Services:
        """The shared services of the bot."""
        return self.bot.services

    async def enabled_in(self, guild_id: int | None) -> bool:
        """True unless this cog is switched off in ``guild_id`` (always true outside servers)."""
        return await self.bot.cog_enabled(self.feature, guild_id)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:  # type: ignore[override]
        """Refuse every app command of this cog where the cog is switched off."""
        if not await self.enabled_in(interaction.guild_id):
            raise WardenCheckFailure(CogDisabledError(self.feature, interaction.guild_id))
        return True


# --------------------------------------------------------------------------- errors


def unwrap_error(error: BaseException) -> BaseException:
    """The error behind discord.py's wrappers (``CommandInvokeError``, ``WardenCheckFailure``, ...)."""
    seen = 0
    while seen < 5:
        inner = getattr(error, "original", None)
        if not isinstance(inner, BaseException) or inner is error:
            return error
        error = inner
        seen += 1
    return error


def describe_error(error: BaseException) -> tuple[str, bool]:
    """``(short message for the member, expected?)`` for an error a command raised.

    Expected errors (domain errors, refused checks, permission problems) are logged in one line;
    the rest with their traceback.
    """
    error = unwrap_error(error)
    if isinstance(error, WardenError):
        return error.user_message, True
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return f"You need the **{names}** permission for this.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return (
            f"I am missing the **{names}** permission here. "
            "An admin can grant it in Server Settings → Roles.",
            True,
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f}s.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here.", True
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand `{error.value}`.", True
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused that: I am missing a permission for it (Discord said: "
            f"{error.text or 'Missing Permissions'}). An admin can check my role's permissions.",
            True,
        )
    if isinstance(error, discord.HTTPException) and error.status >= 500:
        return "Discord is having trouble right now; please try again in a minute.", True
    return "Something went wrong; the error was logged for the admins.", False


async def reply_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer ``interaction`` with an ephemeral message, whether or not it was already answered."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def quote_member_text(text: str, limit: int | None = None) -> str:
    """Member-written ``text`` made safe to echo: markdown escaped, mentions defused (and truncated to
    ``limit`` characters on one line). Send it with ``AllowedMentions.none()`` (the bot's default)."""
    if limit is not None:
        from bot.moderation.infractions import excerpt

        text = excerpt(text, limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error policy for interactions: a short ephemeral answer for the member; expected errors
    logged in one line, unexpected ones with their traceback. Used by the tree and by components."""
    message, expected = describe_error(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    if expected:
        log.info(
            "refused: %s by %s in guild %s: %s",
            command,
            interaction.user.id,
            interaction.guild_id,
            unwrap_error(error),
        )
    else:
        log.error(
            "%s failed (guild %s, user %s)",
            command,
            interaction.guild_id,
            interaction.user.id,
            exc_info=unwrap_error(error),
        )
    try:
        await reply_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not tell the member about the error of %s", command, exc_info=True)


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

    # ------------------------------------------------------------------ lifecycle

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
        drain the scorer (messages being scored finish) and close the database and the session."""
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
    ``scorer``: a :class:`ScorerFront` (default: a MicroBatcher over ``build_backend(settings.backend)``,
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

    database = services.database
    defaults = load_policy_file(settings.config_path) if settings.config_path else load_default_policy()
    services.policies = PolicyStore(database, SettingsRepository(database, defaults))
    services.scores = ScoreRepository(database)
    services.cases = CaseRepository(database)
    services.queue = QueueRepository(database)
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
        from bot.scoring.batcher import MicroBatcher

        backend = await asyncio.to_thread(build_scorer_backend, settings)
        batcher = MicroBatcher(backend)
        await batcher.start()
        log.info("scorer ready: %s (%s)", backend.name, backend.model_version)
        return batcher

    return build


def _context_factory(services: Services) -> Callable[[], Awaitable[Any]] | None:
    try:
        from bot.sources import build_context_service  # type: ignore[attr-defined]
    except ImportError:
        return None

    async def build() -> Any:
        assert services.session is not None
        # The context feature reads its own settings (WARDEN_CONTEXT_CONFIG, providers, API key) from
        # the environment when handed the process settings; none set = the local source library only.
        result = build_context_service(services.database, services.session, services.settings)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    return build
