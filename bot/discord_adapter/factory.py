"""The composition root: :func:`create_bot`, used by production and tests alike.

``create_bot(settings)`` is the one place that builds the process's shared resources and hands them to
the cogs through ``bot.services`` (:class:`~bot.services.Services`):

- the SQLite :class:`~bot.storage.database.Database` (opened and migrated at once);
- the scorer front (a :class:`~bot.scoring.front.TieredFront` over ``build_backend(settings.backend)``:
  the full model behind a micro-batcher bounded by projected wait, the lexical tier for bursts; built
  in ``setup_hook`` off the event loop, because loading a model takes seconds);
- the aiohttp session (built in ``setup_hook``: it needs the running loop);
- the context service, when the context feature is installed (``bot.sources.build_context_service``);
- the repositories, the per-server policy store and the infraction service.

It also wires what features share, so no cog imports another: the infraction service acts through the
bot's :meth:`~bot.discord_adapter.client.WardenBot.moderation_actions` (whoever asks: the policy's
decisions, the moderators' commands, the mod queue's buttons), and carries out the policy's decisions
where a cog that :attr:`~bot.discord_adapter.plugin.WardenCog.carries_out_decisions` is switched on.

Cogs are loaded by their dotted module names: :data:`bot.settings.BUILT_IN_COGS`, then the deployment's
``WARDEN_EXTRA_COGS`` (``settings.extra_cogs``). Tests pass their own ``database``/``scorer``/
``session``/``cogs`` and get the same bot otherwise. What ``create_bot`` was given stays the caller's
to close; what it built itself is closed by :meth:`WardenBot.close
<bot.discord_adapter.client.WardenBot.close>`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bot.discord_adapter.client import ShardedWardenBot, WardenBot
from bot.services import ContextFeature, ScorerFront, Services
from bot.settings import BUILT_IN_COGS, Settings
from bot.storage.database import Database

__all__ = ["build_scorer_backend", "build_services", "cog_modules", "create_bot"]

log = logging.getLogger(__name__)


def create_bot(
    settings: Settings,
    *,
    database: Database | None = None,
    scorer: ScorerFront | None = None,
    session: aiohttp.ClientSession | None = None,
    context: ContextFeature | None = None,
    cogs: Sequence[str] | None = None,
    extra_cogs: Sequence[str] | None = None,
    sync_commands: bool = True,
) -> WardenBot:
    """Build the bot and its services. Production calls ``create_bot(settings)``; tests inject.

    ``database``: an open :class:`Database` (default: ``settings.database_url`` when set, else the
    SQLite file ``settings.db_path``).
    ``scorer``: a :class:`ScorerFront` (default: a TieredFront over ``build_backend(settings.backend)``,
    built in ``setup_hook``).
    ``session``: an aiohttp session (default: one built in ``setup_hook``).
    ``context``: the context service (default: ``bot.sources.build_context_service`` when installed).
    ``cogs``: extension modules to load (default: :data:`bot.settings.BUILT_IN_COGS`).
    ``extra_cogs``: deployment cogs by module path, loaded after ``cogs`` (default:
    ``settings.extra_cogs``).

    With ``WARDEN_SHARD_COUNT``/``WARDEN_SHARD_IDS`` set (``settings.shards``) the bot is a
    :class:`~bot.discord_adapter.client.ShardedWardenBot` over those shards, its infraction service
    re-arms only the expiries of servers on them, and only the process owning shard 0 syncs the slash
    commands; unset, a plain :class:`~bot.discord_adapter.client.WardenBot` owns every server.
    """
    owned: set[str] = set()
    if database is None:
        database = Database(settings.database_target)
        owned.add("database")
    services = build_services(settings, database, scorer=scorer, session=session, context=context)
    modules = cog_modules(settings, cogs, extra_cogs)

    scorer_factory = None if scorer is not None else _scorer_factory(settings)
    context_factory = None if context is not None else _context_factory(services)
    if context_factory is not None:
        owned.add("context")
    shards = settings.shards  # WARDEN_SHARD_COUNT/IDS: an AutoShardedBot over this process's shards
    bot_class = ShardedWardenBot if shards.sharded else WardenBot
    bot = bot_class(
        services,
        cogs=modules,
        sync_commands=sync_commands,
        owned=owned,
        scorer_factory=scorer_factory,
        context_factory=context_factory,
        shards=shards,
    )
    services.infractions.actions_for = bot.moderation_actions
    services.infractions.acting_enabled = bot.acting_enabled
    return bot


def cog_modules(
    settings: Settings, cogs: Sequence[str] | None = None, extra_cogs: Sequence[str] | None = None
) -> list[str]:
    """The extension modules to load, in order, each once: ``cogs`` (default: the built-in ones),
    then ``extra_cogs`` (default: ``settings.extra_cogs``, from ``WARDEN_EXTRA_COGS``)."""
    modules = list(cogs) if cogs is not None else list(BUILT_IN_COGS)
    for module in extra_cogs if extra_cogs is not None else settings.extra_cogs:
        if module not in modules:
            modules.append(module)
    return modules


def build_services(
    settings: Settings,
    database: Database,
    *,
    scorer: ScorerFront | None = None,
    session: aiohttp.ClientSession | None = None,
    context: ContextFeature | None = None,
) -> Services:
    """The services over one open database: repositories, the policy store, the infraction service."""
    from bot.moderation.infractions import InfractionService
    from bot.moderation.store import PolicyStore
    from bot.policy import load_default_policy, load_policy_file
    from bot.storage import CaseRepository, QueueRepository, ScoreRepository, SettingsRepository
    from bot.storage.decisions import DecisionRepository

    defaults = load_policy_file(settings.config_path) if settings.config_path else load_default_policy()
    scores = ScoreRepository(database)
    cases = CaseRepository(database)
    queue = QueueRepository(database)
    return Services(
        settings=settings,
        database=database,
        policies=PolicyStore(database, SettingsRepository(database, defaults)),
        scores=scores,
        cases=cases,
        queue=queue,
        decisions=DecisionRepository(database, scores, cases, queue),
        infractions=InfractionService(database, cases, owns_guild=settings.shards.owns),
        scorer=scorer,
        session=session,
        context=context,
    )


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
        from bot.sources import build_context_service
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
