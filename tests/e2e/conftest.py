"""End-to-end fixtures: the PRODUCTION bot (``create_bot``) on simcord, a real SQLite file, a real scorer.

simcord runs the unmodified discord.py client against an in-memory Discord; these fixtures add the
Warden world on top. Reuse them in any ``tests/e2e/test_*.py``:

``warden_settings``   :class:`bot.settings.Settings` with a fake token and ``tmp_path/warden.db``.
``warden_database``   the open :class:`bot.storage.database.Database` on that file (closed at teardown).
``warden_scorer``     the scorer front the bot uses: the micro-batcher over the real embedded model
                      (``WARDEN_TEST_BACKEND=keyword``: over the deterministic :class:`KeywordBackend`).
``simcord_bot``       ``create_bot(settings, database=..., scorer=...)``: every cog under ``cogs/``
                      plus ``extra_cogs`` from the ``warden_extra_cogs`` fixture (override it).
``simcord_env``       (simcord's plugin) the running environment; the bot is at READY.
``world``             a :class:`World`: one guild with channels ``#news`` (watched), ``#off-topic``
                      (not watched), ``#mod-queue`` (queue channel), ``#modlog`` (modlog channel),
                      roles ``Moderators`` (Manage Messages, Moderate Members) and ``Admins`` (Manage
                      Server), members ``moderator``, ``admin``, ``alice``, ``bob``; the guild's policy
                      is set (watched channel, queue, modlog). Helpers on it:

    await world.set_policy(**overrides)       merge overrides into the guild's stored policy
    await world.policy()                      the guild's effective PolicySettings
    world.dms(member)                         messages the bot sent to ``member`` by DM, oldest first
    world.modlog()                            messages in #modlog, oldest first
    world.queue_messages()                    messages in #mod-queue, oldest first
    await world.cases(member=None)            the guild's stored cases (of ``member``), oldest first
    world.requests(method, path_glob)         REST calls the bot made (simcord ``HttpLogEntry``)
    world.close_dms(member)                   make DMs to ``member`` fail with 403/50007 (closed DMs)
    world.add_member(name, *roles)            another member

    world.env / world.bot / world.database    the simcord Env, the WardenBot, its Database

Texts that score as toxic with either backend: :data:`INSULT`, :data:`INSULT_2`, :data:`INSULT_3` (each a
plain ``warn`` with the default policy), :data:`THREAT` (``queue``); clean: :data:`CLEAN`.

Scorers: :func:`build_test_scorer` (a started MicroBatcher over :func:`shared_backend`, one backend per
session) for tests that build their own bot.

Expected command failures (a refused check, a hierarchy error) pass through the tree's error handler,
which simcord records: a test that provokes one must acknowledge it with :func:`expect_error`
(``simcord.assert_error`` plus the domain error behind discord.py's wrappers).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from simcord import Env

from bot.discord_adapter.client import WardenBot
from bot.discord_adapter.factory import create_bot
from bot.discord_adapter.reporting import unwrap_error
from bot.scoring.base import LABELS, Scores
from bot.scoring.batcher import MicroBatcher
from bot.scoring.registry import build_backend
from bot.settings import Settings
from bot.storage.cases import Case
from bot.storage.database import Database

INSULT = "What an idiot you are, honestly."
INSULT_2 = "Only an idiot would believe this, you clown."
INSULT_3 = "You absolute moron, learn to read."
THREAT = "I will find you and kill you, you disgusting idiot."
CLEAN = "Thanks for the link, the article about the summit was interesting."

_TOXIC_WORDS = {
    "idiot": {"toxicity": 0.97, "insult": 0.93, "obscene": 0.2},
    "moron": {"toxicity": 0.96, "insult": 0.91},
    "stupid": {"toxicity": 0.9, "insult": 0.8},
    "pathetic": {"toxicity": 0.85, "insult": 0.75},
    "kill": {"toxicity": 0.95, "threat": 0.9, "severe_toxicity": 0.3},
    "garbage": {"toxicity": 0.8, "insult": 0.6},
}


class KeywordBackend:
    """A deterministic stand-in scorer (the ScorerBackend contract): known words -> fixed scores.

    For debugging a failing e2e test apart from the model (``WARDEN_TEST_BACKEND=keyword``) and for
    tests that need a backend without loading the model."""

    name = "keyword-test"
    model_version = "keyword-test-1"

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """Per text, the per-label maximum of the known words it contains (0.01 otherwise)."""
        out: list[Scores] = []
        for text in texts:
            values = dict.fromkeys(LABELS, 0.01)
            lowered = text.lower()
            for word, scores in _TOXIC_WORDS.items():
                if word in lowered:
                    for label, value in scores.items():
                        values[label] = max(values[label], value)
            out.append(Scores(**values))
        return out


def _build_backend() -> Any:
    """The embedded model (shipped in the repo); :class:`KeywordBackend` with WARDEN_TEST_BACKEND=keyword."""
    if os.environ.get("WARDEN_TEST_BACKEND", "") == "keyword":
        return KeywordBackend()
    return build_backend("embedded")


_BACKEND_CACHE: dict[str, Any] = {}


def shared_backend() -> Any:
    """One backend per test session (loading the embedded model takes a moment)."""
    if "backend" not in _BACKEND_CACHE:
        backend = _build_backend()
        # Both tiers load on first use: load them here, outside any simulated event, so the first
        # message of a session settles within simcord's timeout on a slow or busy machine too.
        backend.score(["You are a complete idiot.", "The minister spoke on Monday."])
        _BACKEND_CACHE["backend"] = backend
    return _BACKEND_CACHE["backend"]


async def build_test_scorer(backend: Any | None = None) -> Any:
    """The production scorer front (MicroBatcher) over ``backend``, started here.

    Started outside the bot's own tasks on purpose: its collector idles on ``queue.get()``, a wait
    simcord cannot tell apart from a hung handler, so a collector owned by the bot would never let the
    simulation settle. Production builds and starts the same class in ``setup_hook``.
    """
    batcher = MicroBatcher(backend or shared_backend())
    await batcher.start()
    return batcher


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def warden_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings as production reads them, with a fake token and a database in ``tmp_path`` (or, for
    the ``postgres`` variant of a module marked ``backends``, ``WARDEN_DATABASE_URL`` on a fresh schema)."""
    if getattr(request, "param", "sqlite") == "postgres":
        url = request.getfixturevalue("pg_url")
        return Settings(discord_token="simcord-test-token", db_path=tmp_path / "warden.db", database_url=url)
    return Settings(discord_token="simcord-test-token", db_path=tmp_path / "warden.db")


@pytest.fixture
def warden_database(warden_settings: Settings) -> Any:
    """The real database (migrated) the settings name: the SQLite file in ``tmp_path``, or PostgreSQL."""
    database = Database(warden_settings.database_target)
    yield database
    database.close()


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    """The scorer front the bot gets (created here, outside the bot's tracked tasks)."""
    scorer = await build_test_scorer()
    yield scorer
    await scorer.close()


@pytest.fixture
def warden_extra_cogs() -> list[str]:
    """Deployment cogs to load by module path (override in a test module)."""
    return []


@pytest.fixture
async def simcord_bot(
    warden_settings: Settings, warden_database: Database, warden_scorer: Any, warden_extra_cogs: list[str]
) -> AsyncIterator[WardenBot]:
    """The production bot, built by the production factory."""
    bot = create_bot(
        warden_settings, database=warden_database, scorer=warden_scorer, extra_cogs=warden_extra_cogs
    )
    yield bot
    await bot.close_services()  # what setup_hook built (the HTTP session); the fixtures close the rest


@dataclass
class World:
    """The Warden test world (see the module docstring)."""

    env: Env
    bot: WardenBot
    guild: simcord.GuildHandle
    news: simcord.ChannelHandle
    off_topic: simcord.ChannelHandle
    queue_channel: simcord.ChannelHandle
    modlog_channel: simcord.ChannelHandle
    mod_role: simcord.RoleHandle
    admin_role: simcord.RoleHandle
    moderator: simcord.MemberActor
    admin: simcord.MemberActor
    alice: simcord.MemberActor
    bob: simcord.MemberActor
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def database(self) -> Database:
        return self.bot.services.database

    async def set_policy(self, **overrides: Any) -> Any:
        """Merge ``overrides`` into the guild's stored policy (as ``/warden`` commands do)."""
        return await self.bot.services.policies.update(self.guild.id, overrides)

    async def policy(self) -> Any:
        """The guild's effective policy."""
        return await self.bot.services.policies.get(self.guild.id)

    def dms(self, member: simcord.MemberActor) -> list[discord.Message]:
        """What the bot sent ``member`` by DM, oldest first."""
        if member.id not in self.env.backend.dm_channels:
            return []
        return [m for m in member.user.dm_channel.history() if m.author.id == self.bot.user.id]

    def modlog(self) -> list[discord.Message]:
        return self.modlog_channel.history()

    def queue_messages(self) -> list[discord.Message]:
        return self.queue_channel.history()

    async def cases(self, member: simcord.MemberActor | None = None) -> Sequence[Case]:
        """Stored cases of the guild (of ``member``), oldest first."""
        from bot.moderation.infractions import list_cases

        return await list_cases(self.bot.services, self.guild.id, member.id if member else None)

    def requests(self, method: str, path_glob: str) -> list[Any]:
        """REST calls the bot made that match ``method`` (or ``*``) and the fnmatch ``path_glob``."""
        return [
            entry
            for entry in self.env.http_requests
            if (method == "*" or entry.method == method) and fnmatch.fnmatch(entry.path, path_glob)
        ]

    def close_dms(self, member: simcord.MemberActor) -> None:
        """Every DM to ``member`` fails as with closed DMs (403, code 50007)."""
        channel = self.env.backend.get_dm_channel(member.id)
        self.env.inject_error(
            "POST",
            f"/channels/{channel.id}/messages",
            status=403,
            code=50007,
            message="Cannot send messages to this user",
            times=None,
        )

    def add_member(self, name: str, *roles: simcord.RoleHandle) -> simcord.MemberActor:
        return self.guild.add_member(self.env.create_user(name), roles=list(roles))


@pytest.fixture
async def world(simcord_env: Env) -> World:
    """A configured guild with staff and members (see the module docstring)."""
    env = simcord_env
    guild = env.create_guild("News Club")
    news = guild.create_text_channel("news")
    off_topic = guild.create_text_channel("off-topic")
    queue_channel = guild.create_text_channel("mod-queue")
    modlog_channel = guild.create_text_channel("modlog")
    mod_role = guild.create_role(
        "Moderators",
        permissions=discord.Permissions(manage_messages=True, moderate_members=True, kick_members=True),
    )
    admin_role = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    moderator = guild.add_member(env.create_user("moderator"), roles=[mod_role])
    admin = guild.add_member(env.create_user("admin"), roles=[admin_role, mod_role])
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    await env.settle()
    bot = env.bot
    assert isinstance(bot, WardenBot)
    world = World(
        env=env,
        bot=bot,
        guild=guild,
        news=news,
        off_topic=off_topic,
        queue_channel=queue_channel,
        modlog_channel=modlog_channel,
        mod_role=mod_role,
        admin_role=admin_role,
        moderator=moderator,
        admin=admin,
        alice=alice,
        bob=bob,
    )
    await world.set_policy(
        watched_channels=[news.id],
        queue_channel_id=queue_channel.id,
        modlog_channel_id=modlog_channel.id,
    )
    return world


def expect_error(env: Env, exc_type: type[BaseException]) -> BaseException:
    """Acknowledge the command error the bot recorded and return the domain error behind it."""
    captured = env.errors
    for error in captured:
        inner = unwrap_error(error)
        if isinstance(inner, exc_type) or isinstance(error, exc_type):
            return inner
    raise AssertionError(f"expected a {exc_type.__name__}; the bot recorded {captured!r}")
