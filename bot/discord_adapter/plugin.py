"""Warden's plug-in API: everything a cog (built-in or a deployment's) builds on, in one module.

A cog is a discord.py extension whose cog class derives from :class:`WardenCog`; the bot loads it by
its dotted module name (the built-in ``cogs.*`` of :data:`bot.settings.BUILT_IN_COGS`, then
``WARDEN_EXTRA_COGS``). See ``docs/writing-a-cog.md`` for a complete example.

What a cog gets:

- :class:`WardenBot` (the client, for type hints: ``setup(bot: WardenBot)``).
- :class:`WardenCog`: the feature name admins switch per server (``/warden cog enable|disable NAME``),
  the guard that silences a switched-off cog, and ``self.services`` (:class:`bot.services.Services`:
  the database, the policies, the repositories, the scorer, the HTTP session).
- The events, plain data (no discord.py objects), with stable fields: ``warden_decision``
  (:class:`DecisionEvent`, once per scored message; listen with ``on_warden_decision``) and
  ``warden_appeal`` (:class:`AppealEvent`). Their reference is :mod:`bot.events`.
- The data-deletion hook, :meth:`WardenCog.forget_member`: ``/warden forget`` asks every loaded cog to
  erase what it holds for a member and reports what each did (a :class:`ForgetResult`; posts quoting
  the member are redacted with :data:`REMOVED_TEXT` and counted in :class:`Redactions`).
- The shared Discord helpers: :func:`quote_member_text` (echo member text safely),
  :func:`require_permissions` and :func:`require_moderator` (run-time checks),
  :func:`check_hierarchy` (may this moderator act on that member), :func:`report_error` (the one
  error policy for components and modals).

A cog never imports another cog: what features share lives here, in :mod:`bot.discord_adapter`, or in
the plain-Python core (``bot.*``), and is wired by :func:`bot.discord_adapter.factory.create_bot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ext import commands

from bot.discord_adapter.checks import (
    WardenCheckFailure,
    check_hierarchy,
    member_is_moderator,
    require_moderator,
    require_permissions,
)
from bot.discord_adapter.client import WardenBot
from bot.discord_adapter.render import quote_member_text
from bot.discord_adapter.reporting import report_error
from bot.errors import CogDisabledError, WardenError
from bot.events import APPEAL_EVENT, DECISION_EVENT, AppealEvent, DecisionEvent
from bot.moderation.forget import (
    DELETED,
    FAILED,
    MISSING_CHANNEL,
    MISSING_PERMISSION,
    REMOVED_TEXT,
    ForgetResult,
    Redactions,
)

if TYPE_CHECKING:
    from bot.services import Services

__all__ = [
    "APPEAL_EVENT",
    "DECISION_EVENT",
    "DELETED",
    "FAILED",
    "MISSING_CHANNEL",
    "MISSING_PERMISSION",
    "REMOVED_TEXT",
    "AppealEvent",
    "DecisionEvent",
    "ForgetResult",
    "Redactions",
    "WardenBot",
    "WardenCheckFailure",
    "WardenCog",
    "WardenError",
    "check_hierarchy",
    "member_is_moderator",
    "quote_member_text",
    "report_error",
    "require_moderator",
    "require_permissions",
]


class WardenCog(commands.Cog):
    """Base of every Warden cog: a feature name and the per-server on/off guard.

    ``feature`` is the name admins use in ``/warden cog enable|disable NAME`` (default: the cog's
    package name, e.g. ``scoring`` for ``cogs.scoring``, or the module name for a plug-in). Slash
    commands of a switched-off cog answer with a short ephemeral note; listeners must start with
    ``if not await self.enabled_in(guild_id): return`` (the guard chain).

    ``carries_out_decisions``: this feature's switch decides whether the policy's ``warn``/``delete``/
    ``timeout`` decisions are carried out in a server (the warnings cog). With no such cog loaded, or
    with it switched off, decisions are recorded and dispatched but nobody is acted on.
    """

    feature: ClassVar[str] = ""
    carries_out_decisions: ClassVar[bool] = False

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

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse every app command of this cog where the cog is switched off."""
        if not await self.enabled_in(interaction.guild_id):
            raise WardenCheckFailure(CogDisabledError(self.feature, interaction.guild_id))
        return True

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult | None:
        """``/warden forget``: erase what this cog holds about ``user_id`` in ``guild_id`` (stored rows,
        files, caches, the bot's posts quoting them) and say what was done.

        Override it in every cog that keeps member data. It is called for every loaded cog, even where
        the cog is switched off (the member's data must go either way), one cog after another; an
        exception is logged and reported as "could not erase" for this cog, the others still run.
        Return a :class:`ForgetResult` (``erased``: what, in words, and how many; ``redactions``: the
        posts redacted or not); the default returns ``None``: the cog holds nothing and is left out of
        the report. Blocking work (SQLite, files) goes off the event loop, as everywhere.
        """
        return None
