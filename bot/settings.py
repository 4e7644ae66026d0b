"""Process settings: read once from the environment at start-up, typed and validated with pydantic.

These are the deployment's settings (token, database, scorer backend, logging, plug-in cogs). The
per-server policy (thresholds, channels, dry-run, disabled cogs) lives in ``bot.policy`` with its
defaults in ``config/`` and overrides in SQLite.

| variable                     | default      | meaning                                                    |
|------------------------------|--------------|------------------------------------------------------------|
| ``DISCORD_TOKEN``            | (required)   | the bot token from the developer portal                    |
| ``WARDEN_DB_PATH``           | ``warden.db``| the SQLite file                                            |
| ``WARDEN_BACKEND``           | ``embedded`` | scorer backend: ``embedded`` or ``detoxify``               |
| ``WARDEN_DETOXIFY_MODEL``    | ``original`` | detoxify model name (``original``, ``unbiased``, ...)      |
| ``WARDEN_DETOXIFY_CHECKPOINT``| unset       | local checkpoint file for offline detoxify                 |
| ``WARDEN_DETOXIFY_CONFIG``   | unset        | local transformers config folder for offline detoxify      |
| ``WARDEN_LOG_LEVEL``         | ``INFO``     | DEBUG, INFO, WARNING, ERROR                                |
| ``WARDEN_TEST_GUILD_ID``     | unset        | sync slash commands to this guild only (instant)            |
| ``WARDEN_CONFIG``            | unset        | a policy TOML replacing the shipped default policy         |
| ``WARDEN_EXTRA_COGS``        | unset        | comma-separated module paths of deployment cogs to load    |

No discord.py import here: the settings are plain data.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_NAMES: dict[str, str] = {
    "discord_token": "DISCORD_TOKEN",
    "db_path": "WARDEN_DB_PATH",
    "backend": "WARDEN_BACKEND",
    "detoxify_model": "WARDEN_DETOXIFY_MODEL",
    "detoxify_checkpoint": "WARDEN_DETOXIFY_CHECKPOINT",
    "detoxify_config": "WARDEN_DETOXIFY_CONFIG",
    "log_level": "WARDEN_LOG_LEVEL",
    "test_guild_id": "WARDEN_TEST_GUILD_ID",
    "config_path": "WARDEN_CONFIG",
    "extra_cogs": "WARDEN_EXTRA_COGS",
}
"""Field name -> environment variable."""

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """The process settings are missing or invalid. ``str()`` is one line, fit for stderr."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class Settings(BaseModel):
    """The deployment's settings. Build with :meth:`from_env` in production, directly in tests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    discord_token: SecretStr = Field(description="Bot token; required, never logged.")
    db_path: Path = Path("warden.db")
    backend: Literal["embedded", "detoxify"] = "embedded"
    detoxify_model: str = "original"
    detoxify_checkpoint: Path | None = None
    detoxify_config: Path | None = None
    log_level: str = "INFO"
    test_guild_id: int | None = Field(default=None, gt=0)
    config_path: Path | None = None
    extra_cogs: tuple[str, ...] = ()

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty")
        return value

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

        Raises :class:`SettingsError` with a one-line message naming the variable at fault.
        """
        env = os.environ if environ is None else environ
        raw: dict[str, str] = {}
        for field_name, variable in ENV_NAMES.items():
            value = env.get(variable)
            if value is not None and value.strip() != "":
                raw[field_name] = value.strip()
        if "discord_token" not in raw:
            raise SettingsError(
                "DISCORD_TOKEN", "is not set (the bot token from the Discord developer portal)"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            field_name = str(error["loc"][0]) if error["loc"] else "settings"
            variable = ENV_NAMES.get(field_name, field_name)
            message = str(error["msg"]).removeprefix("Value error, ")
            raise SettingsError(variable, message) from None
