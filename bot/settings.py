"""Process settings: read once from the environment at start-up, typed and validated with
pydantic-settings.

These are the deployment's settings (token, database, scorer backend, logging, plug-in cogs, and the
context feature's section). The per-server policy (thresholds, channels, dry-run, disabled cogs) lives
in ``bot.policy`` with its defaults in ``config/`` and overrides in SQLite.

| variable                     | default      | meaning                                                    |
|------------------------------|--------------|------------------------------------------------------------|
| ``DISCORD_TOKEN``            | (required)   | the bot token from the developer portal                    |
| ``WARDEN_DB_PATH``           | ``warden.db``| the SQLite file                                            |
| ``WARDEN_DATABASE_URL``      | unset        | ``postgresql://...``: PostgreSQL instead of the SQLite file |
| ``WARDEN_BACKEND``           | ``embedded`` | scorer backend: ``embedded`` or ``detoxify``               |
| ``WARDEN_DETOXIFY_MODEL``    | ``original`` | detoxify model name (``original``, ``unbiased``, ...)      |
| ``WARDEN_DETOXIFY_CHECKPOINT``| unset       | local checkpoint file for offline detoxify                 |
| ``WARDEN_DETOXIFY_CONFIG``   | unset        | local transformers config folder for offline detoxify      |
| ``WARDEN_LOG_LEVEL``         | ``INFO``     | DEBUG, INFO, WARNING, ERROR                                |
| ``WARDEN_TEST_GUILD_ID``     | unset        | sync slash commands to this guild only (instant)            |
| ``WARDEN_SHARD_COUNT``       | unset        | shards of the whole deployment (with ``WARDEN_SHARD_IDS``)  |
| ``WARDEN_SHARD_IDS``         | unset        | this process's shards, e.g. ``0,1`` (each in 0..count-1)    |
| ``WARDEN_CONFIG``            | unset        | a policy TOML replacing the shipped default policy         |
| ``WARDEN_EXTRA_COGS``        | unset        | comma-separated module paths of deployment cogs to load    |
| ``WARDEN_CONTEXT_CONFIG``    | unset        | a TOML file whose ``[context]`` table is ``context``       |
| ``WARDEN_CONTEXT_PROVIDERS`` | unset        | remote providers switched on: wikipedia,factcheck,gdelt    |
| ``WARDEN_FACTCHECK_API_KEY`` | unset        | Google Fact Check Tools key (switches it on; never logged) |

:meth:`Settings.from_env` reads them through two settings sources: :class:`EnvironSource` (one variable
a field) and :class:`ContextSource` (the ``context`` section: the file, then the switches). Built
directly (``Settings(discord_token=...)``, as tests do) the settings read nothing from the environment.

``WARDEN_SHARD_COUNT`` and ``WARDEN_SHARD_IDS`` go together (both or neither): set, the process runs a
``discord.AutoShardedBot`` over those shards and does its own chores (expiries, feeds) only for the
servers on them (:mod:`bot.sharding`, :attr:`Settings.shards`); unset, one plain client owns everything.

No discord.py import here: the settings are plain data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.context_settings import PROVIDERS, ContextConfigError, ContextSettings, load_context_file
from bot.sharding import SINGLE_PROCESS, ShardScope

ENV_CONTEXT_CONFIG = "WARDEN_CONTEXT_CONFIG"
ENV_CONTEXT_PROVIDERS = "WARDEN_CONTEXT_PROVIDERS"
ENV_FACTCHECK_KEY = "WARDEN_FACTCHECK_API_KEY"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

BUILT_IN_COGS: tuple[str, ...] = (
    "cogs.admin",
    "cogs.context",
    "cogs.modqueue",
    "cogs.scoring",
    "cogs.warnings",
)
"""The built-in cogs, by dotted module name, in load order; the bot loads them, then
``WARDEN_EXTRA_COGS`` (:func:`bot.discord_adapter.factory.cog_modules`)."""


class SettingsError(ValueError):
    """The process settings are missing or invalid. ``str()`` is one line, fit for stderr."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class Settings(BaseSettings):
    """The deployment's settings. Build with :meth:`from_env` in production, directly in tests.

    Each field's alias is its environment variable; ``context`` is the context feature's section
    (:class:`~bot.context_settings.ContextSettings`).
    """

    model_config = SettingsConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, case_sensitive=True
    )

    discord_token: SecretStr = Field(alias="DISCORD_TOKEN", description="Bot token; required, never logged.")
    db_path: Path = Field(Path("warden.db"), alias="WARDEN_DB_PATH")
    database_url: SecretStr | None = Field(
        None,
        alias="WARDEN_DATABASE_URL",
        description="postgresql:// URL of a database shared by processes; replaces db_path. Never logged.",
    )
    backend: Literal["embedded", "detoxify"] = Field("embedded", alias="WARDEN_BACKEND")
    detoxify_model: str = Field("original", alias="WARDEN_DETOXIFY_MODEL")
    detoxify_checkpoint: Path | None = Field(None, alias="WARDEN_DETOXIFY_CHECKPOINT")
    detoxify_config: Path | None = Field(None, alias="WARDEN_DETOXIFY_CONFIG")
    log_level: str = Field("INFO", alias="WARDEN_LOG_LEVEL")
    test_guild_id: int | None = Field(None, gt=0, alias="WARDEN_TEST_GUILD_ID")
    shard_count: int | None = Field(
        None, ge=1, alias="WARDEN_SHARD_COUNT", description="Shards of the whole deployment."
    )
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        None, alias="WARDEN_SHARD_IDS", description="The shards this process runs, e.g. 0,1."
    )
    config_path: Path | None = Field(None, alias="WARDEN_CONFIG")
    extra_cogs: Annotated[tuple[str, ...], NoDecode] = Field((), alias="WARDEN_EXTRA_COGS")
    context: ContextSettings = Field(default_factory=ContextSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: the environment is read by :meth:`from_env`, which names its sources."""
        return (init_settings,)

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL (unset it to use the SQLite file WARDEN_DB_PATH)")
        return value

    @property
    def database_target(self) -> str | Path:
        """What the bot opens: the PostgreSQL URL when set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url is not None else self.db_path

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: object) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("extra_cogs", mode="before")
    @classmethod
    def _split_cogs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not parts or not all(part.isdigit() for part in parts):
                raise ValueError(f"must be shard numbers separated by commas, e.g. 0,1 (got {value!r})")
            return tuple(int(part) for part in parts)
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        count, ids = self.shard_count, self.shard_ids
        if count is None and ids is None:
            return self
        if ids is None:
            raise SettingsError("WARDEN_SHARD_IDS", "is not set (set it with WARDEN_SHARD_COUNT, or neither)")
        if count is None:
            raise SettingsError("WARDEN_SHARD_COUNT", "is not set (set it with WARDEN_SHARD_IDS, or neither)")
        if not ids:
            raise SettingsError("WARDEN_SHARD_IDS", "names no shard")
        outside = sorted({shard for shard in ids if not 0 <= shard < count})
        if outside:
            raise SettingsError(
                "WARDEN_SHARD_IDS",
                f"{','.join(map(str, outside))} outside 0..{count - 1} (WARDEN_SHARD_COUNT is {count})",
            )
        if len(set(ids)) != len(ids):
            raise SettingsError("WARDEN_SHARD_IDS", f"names a shard twice: {','.join(map(str, ids))}")
        return self

    @property
    def shards(self) -> ShardScope:
        """This process's share of the shards (:data:`~bot.sharding.SINGLE_PROCESS` when unsharded)."""
        if self.shard_count is None or self.shard_ids is None:
            return SINGLE_PROCESS
        return ShardScope(count=self.shard_count, ids=tuple(self.shard_ids), sharded=True)

    @field_validator("config_path")
    @classmethod
    def _config_exists(cls, value: Path | None) -> Path | None:
        if value is not None and value.is_dir():
            raise ValueError(f"is a directory, not a policy file: {value}")
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default: ``os.environ``).

        Raises :class:`SettingsError` with a one-line message naming the variable at fault, or
        :class:`~bot.context_settings.ContextConfigError` naming the variable, the file and the key of
        the ``context`` section.
        """
        env = os.environ if environ is None else environ
        if not env.get("DISCORD_TOKEN", "").strip():
            raise SettingsError(
                "DISCORD_TOKEN", "is not set (the bot token from the Discord developer portal)"
            )
        values = {**EnvironSource(cls, env)(), **ContextSource(cls, env)()}
        try:
            return cls(**values)
        except ValidationError as exc:
            error = exc.errors()[0]
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, SettingsError):  # a check across variables names its own
                raise SettingsError(cause.variable, cause.problem) from None
            variable = str(error["loc"][0]) if error["loc"] else "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            raise SettingsError(ENV_NAMES.get(variable, variable), message) from None


ENV_NAMES: dict[str, str] = {
    name: field.alias for name, field in Settings.model_fields.items() if field.alias is not None
}
"""Field name -> environment variable."""


class EnvironSource(EnvSettingsSource):
    """The fields that have a variable, from an environment mapping: the value stripped, a blank one
    unset (``WARDEN_TEST_GUILD_ID=" 123 "`` is 123; ``WARDEN_DB_PATH=""`` is the default)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        variables = {field.alias for field in self.settings_cls.model_fields.values() if field.alias}
        return {
            name: value.strip()
            for name, value in self._environ.items()
            if name in variables and value.strip()
        }


class ContextSource(PydanticBaseSettingsSource):
    """The ``context`` section: ``$WARDEN_CONTEXT_CONFIG`` (a TOML file's ``[context]`` table, or the
    whole file), then the ``$WARDEN_CONTEXT_PROVIDERS`` switches and ``$WARDEN_FACTCHECK_API_KEY`` on
    top. Nothing set: the defaults (the local library only, offline). A bad file or switch raises
    :class:`~bot.context_settings.ContextConfigError` naming the variable, the file and the key."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name != "context":
            return None, field_name, False
        return self.section(), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {"context": self.section()}

    def section(self) -> ContextSettings:
        """The validated section."""
        env = self._environ
        path = env.get(ENV_CONTEXT_CONFIG, "").strip()
        if path:
            try:
                settings = load_context_file(path)
            except ContextConfigError as error:
                raise ContextConfigError(error.problems, f"{ENV_CONTEXT_CONFIG}: {error.source}") from None
        else:
            settings = ContextSettings()
        switches = {p.strip().lower() for p in env.get(ENV_CONTEXT_PROVIDERS, "").split(",") if p.strip()}
        unknown = sorted(switches - set(PROVIDERS))
        if unknown:
            raise ContextConfigError(
                [("", f"unknown provider {', '.join(map(repr, unknown))} (known: {', '.join(PROVIDERS)})")],
                ENV_CONTEXT_PROVIDERS,
            )
        updates: dict[str, Any] = {}
        for name in PROVIDERS:
            if name in switches:
                updates[name] = getattr(settings, name).model_copy(update={"enabled": True})
        key = env.get(ENV_FACTCHECK_KEY, "").strip()
        if key:
            base = updates.get("factcheck", settings.factcheck)
            updates["factcheck"] = base.model_copy(update={"api_key": SecretStr(key), "enabled": True})
        return settings.model_copy(update=updates) if updates else settings


def context_from_env(environ: Mapping[str, str] | None = None) -> ContextSettings:
    """The ``context`` section alone, as :meth:`Settings.from_env` reads it (no token needed: the
    ``warden`` CLI and the start-up checks use it)."""
    return ContextSource(Settings, os.environ if environ is None else environ).section()
