"""Async facades over the repositories, for the cogs: every blocking call goes through ``Database.run``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.policy.settings import PolicySettings
from bot.storage.database import Database
from bot.storage.settings import SettingsRepository


class PolicyStore:
    """Each server's effective policy (defaults + stored overrides), cached by the repository and
    invalidated on every write through it."""

    def __init__(self, database: Database, repository: SettingsRepository) -> None:
        self.database = database
        self.repository = repository

    @property
    def defaults(self) -> PolicySettings:
        """The policy every server starts from (``config/default.toml`` or ``WARDEN_CONFIG``)."""
        return self.repository.defaults

    async def get(self, guild_id: int) -> PolicySettings:
        """The effective policy of ``guild_id``."""
        return await self.database.run(self.repository.effective, guild_id)

    async def overrides(self, guild_id: int) -> dict[str, Any]:
        """What ``guild_id`` changed from the defaults."""
        return await self.database.run(self.repository.get_overrides, guild_id)

    async def update(self, guild_id: int, patch: Mapping[str, Any]) -> PolicySettings:
        """Merge ``patch`` into the stored overrides (validated: raises ``PolicyConfigError``)."""
        return await self.database.run(self.repository.patch_overrides, guild_id, patch)

    async def set_key(self, guild_id: int, key: str, value: Any) -> PolicySettings:
        """Set one dotted key (``thresholds.insult``) (validated: raises ``PolicyConfigError``)."""
        return await self.database.run(self.repository.set_key, guild_id, key, value)

    async def disabled_cogs(self, guild_id: int) -> list[str]:
        """The features switched off in ``guild_id``."""
        return list((await self.get(guild_id)).disabled_cogs)
