"""Per-server policy overrides (``guild_settings``): validated on write, merged over the defaults, cached."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.policy.errors import PolicyConfigError
from bot.policy.settings import PolicySettings, deep_merge, load_default_policy, normalize
from bot.storage._common import dumps, loads, rows, to_db_time, utcnow
from bot.storage.database import Database

log = logging.getLogger(__name__)


NOTICE_CHANNEL = "settings"
"""The :meth:`Database.notify` channel of settings writes (payload: the guild id)."""


def _source(guild_id: int) -> str:
    return f"guild {guild_id} settings"


def _split_key(key: str) -> list[str]:
    parts = key.split(".")
    if not key or any(not part for part in parts):
        raise PolicyConfigError([(key, "not a valid settings key")])
    return parts


class SettingsRepository:
    """Each server's partial overrides, stored as JSON, and the effective :class:`PolicySettings`.

    Writes validate the merged result first: a bad override raises :class:`PolicyConfigError` naming
    the key and is never stored. ``effective`` is cached per guild and invalidated on every write
    through this repository, and, on PostgreSQL, on every write by another process (a notice sent
    with the write's commit, :meth:`Database.listen`).
    """

    def __init__(self, database: Database, defaults: PolicySettings | None = None) -> None:
        self._database = database
        self.defaults = defaults or load_default_policy()
        self._cache: dict[int, PolicySettings] = {}
        self._cache_lock = threading.Lock()
        self._generation = 0  # bumped by every invalidation: a read that raced one is not cached
        database.listen(NOTICE_CHANNEL, self._on_notice)

    # -- reading ------------------------------------------------------------------------------------

    def get_overrides(self, guild_id: int) -> dict[str, Any]:
        """The stored overrides of ``guild_id`` (``{}`` when it has none)."""
        with self._database.connection() as db:
            found = rows(db, "SELECT overrides FROM guild_settings WHERE guild_id = ?", [guild_id])
        return loads(found[0]["overrides"], {}) if found else {}

    def effective(self, guild_id: int) -> PolicySettings:
        """The defaults with ``guild_id``'s overrides merged over them (cached until the next write).

        Overrides that no longer validate (the defaults changed under them) are logged and ignored:
        the server runs on the defaults rather than not at all.
        """
        with self._cache_lock:
            cached = self._cache.get(guild_id)
            generation = self._generation
        if cached is not None:
            return cached
        overrides = self.get_overrides(guild_id)
        try:
            settings = self.defaults.merged(overrides, source=_source(guild_id))
        except PolicyConfigError as error:
            log.error(
                "stored settings no longer valid, using the defaults",
                extra={"guild_id": guild_id, "error": str(error)},
            )
            settings = self.defaults
        with self._cache_lock:
            if generation == self._generation:
                self._cache[guild_id] = settings
        return settings

    # -- writing ------------------------------------------------------------------------------------

    def set_overrides(
        self, guild_id: int, overrides: Mapping[str, Any], *, now: datetime | None = None
    ) -> PolicySettings:
        """Replace ``guild_id``'s overrides (validated first) and return the new effective settings."""
        overrides = normalize(overrides)
        settings = self.defaults.merged(overrides, source=_source(guild_id))
        with self._database.transaction() as db:
            db.execute(
                """
                INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET
                    overrides = excluded.overrides, updated_at = excluded.updated_at
                """,
                [guild_id, dumps(overrides), to_db_time(now or utcnow())],
            )
            self._database.notify(db, NOTICE_CHANNEL, str(guild_id))
        self.invalidate(guild_id)
        return settings

    def patch_overrides(
        self, guild_id: int, patch: Mapping[str, Any], *, now: datetime | None = None
    ) -> PolicySettings:
        """Merge ``patch`` into the stored overrides (tables key by key) and store the result."""
        with self._database.transaction() as db:
            self._database.lock(db, "settings", guild_id)  # read-modify-write: one writer per server
            merged = deep_merge(self.get_overrides(guild_id), normalize(patch))
            settings = self.set_overrides(guild_id, merged, now=now)
        self.invalidate(guild_id)
        return settings

    def set_key(self, guild_id: int, key: str, value: Any, *, now: datetime | None = None) -> PolicySettings:
        """Set one dotted key (``thresholds.insult``, ``channels.123.off``) in the overrides."""
        patch: Any = value
        for part in reversed(_split_key(key)):
            patch = {part: patch}
        return self.patch_overrides(guild_id, patch, now=now)

    def clear_key(self, guild_id: int, key: str, *, now: datetime | None = None) -> PolicySettings:
        """Remove one dotted key from the overrides, so the default applies again."""
        parts = _split_key(key)
        with self._database.transaction() as db:
            self._database.lock(db, "settings", guild_id)
            overrides = self.get_overrides(guild_id)
            node: Any = overrides
            for part in parts[:-1]:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(parts[-1], None)
            settings = self.set_overrides(guild_id, overrides, now=now)
        self.invalidate(guild_id)
        return settings

    def reset(self, guild_id: int) -> PolicySettings:
        """Drop every override of ``guild_id``: it runs on the defaults again."""
        with self._database.transaction() as db:
            db.execute("DELETE FROM guild_settings WHERE guild_id = ?", [guild_id])
            self._database.notify(db, NOTICE_CHANNEL, str(guild_id))
        self.invalidate(guild_id)
        return self.defaults

    def invalidate(self, guild_id: int | None = None) -> None:
        """Forget the cached settings of ``guild_id`` (all guilds when ``None``)."""
        with self._cache_lock:
            self._generation += 1
            if guild_id is None:
                self._cache.clear()
            else:
                self._cache.pop(guild_id, None)

    def _on_notice(self, payload: str | None) -> None:
        """Another process wrote ``payload``'s (a guild id's) settings; ``None``: notices were lost."""
        self.invalidate(int(payload) if payload and payload.isdigit() else None)
