"""Per-server moderation policy: typed, validated settings with defaults in ``config/default.toml``.

A server's effective policy is the defaults with that server's partial overrides merged over them
(:meth:`PolicySettings.merged`); every path that builds settings validates them and raises
:class:`~bot.policy.errors.PolicyConfigError` naming the bad key. Every key is documented in
``config/default.toml``.
"""

from __future__ import annotations

import functools
import importlib.resources
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from bot.policy.decision import Action
from bot.policy.errors import PolicyConfigError
from bot.scoring.base import LABELS

Label = Literal[LABELS]  # type: ignore[valid-type]  # built from the tuple at run time; pydantic reads it
"""One of the six detoxify label names."""

# Values are strict: TOML and the stored JSON overrides give real booleans and numbers, so
# ``timeout_minutes = true`` or ``dry_run = "yes"`` is a mistake to name, not a value to coerce.
# (A strict float still takes an integer: ``insult = 1``.) Table keys stay lax: TOML keys are strings.
Flag = Annotated[bool, Field(strict=True)]
Threshold = Annotated[float, Field(gt=0, le=1, strict=True)]
Fraction = Annotated[float, Field(ge=0, le=1, strict=True)]
Snowflake = Annotated[int, Field(gt=0, strict=True)]
SnowflakeKey = Annotated[int, Field(gt=0)]
"""A channel id as a table key (``[channels.123]``): a string of digits in TOML and JSON."""
BandName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")]
MAX_TIMEOUT_MINUTES = 40320
"""Discord's longest timeout: 28 days."""
TimeoutMinutes = Annotated[int, Field(ge=1, le=MAX_TIMEOUT_MINUTES, strict=True)]
MAX_ESCALATION_HOURS = 24 * 366
"""The longest window an escalation rung may count warnings in (a year)."""

REPO_DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "config" / "default.toml"
"""The canonical default policy in a source checkout."""
PACKAGED_DEFAULT_POLICY = "default.toml"
"""The identical copy shipped as package data of ``bot.policy`` (used when installed as a wheel)."""


def _key_error(key: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("policy_key", "{key}: {message}", {"key": key, "message": message})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Model):
    """Per-label thresholds: a label fires when its score is >= its threshold (0 < t <= 1)."""

    toxicity: Threshold
    severe_toxicity: Threshold
    obscene: Threshold
    threat: Threshold
    insult: Threshold
    identity_attack: Threshold

    def __getitem__(self, label: str) -> float:
        if label not in LABELS:
            raise KeyError(label)
        return float(getattr(self, label))


class PartialThresholds(_Model):
    """Per-channel threshold overrides: only the labels given replace the server's thresholds."""

    toxicity: Threshold | None = None
    severe_toxicity: Threshold | None = None
    obscene: Threshold | None = None
    threat: Threshold | None = None
    insult: Threshold | None = None
    identity_attack: Threshold | None = None

    def get(self, label: str) -> float | None:
        """The override for ``label`` or ``None``."""
        value = getattr(self, label)
        return None if value is None else float(value)


class Band(_Model):
    """A severity band: a fired label whose score is >= ``min`` (and below the next band) is in it."""

    name: BandName
    min: Threshold
    action: Action


class EscalationRung(_Model):
    """``warnings`` warnings (this one included) within ``within_hours`` raise a warn to ``action``."""

    warnings: Annotated[int, Field(ge=1, le=1000, strict=True)]
    within_hours: Annotated[float, Field(gt=0, le=MAX_ESCALATION_HOURS, strict=True)]
    action: Action = Action.TIMEOUT
    minutes: TimeoutMinutes | None = None

    @model_validator(mode="after")
    def _check(self) -> EscalationRung:
        if self.action.rank <= Action.WARN.rank:
            raise _key_error(
                "action", f"an escalation must be stronger than warn (got {self.action.value!r})"
            )
        if self.action is Action.TIMEOUT and self.minutes is None:
            raise _key_error("minutes", "required when action is 'timeout'")
        return self


class ChannelOverride(_Model):
    """What differs in one channel: off, dry-run, thresholds, band actions, label actions, log_below."""

    off: Flag = False
    dry_run: Flag | None = None
    thresholds: PartialThresholds = PartialThresholds()
    actions: dict[BandName, Action] = {}
    label_actions: dict[Label, dict[BandName, Action]] = {}
    log_below: dict[Label, Fraction] = {}


class ReportSettings(_Model):
    """Rate limit of the "Report to moderators" command, per reporting member."""

    limit: Annotated[int, Field(ge=1, le=1000, strict=True)] = 5
    window_minutes: Annotated[int, Field(ge=1, le=24 * 60 * 7, strict=True)] = 60


class ContextSettings(_Model):
    """Settings of the context feature (claims and sources); validated here, used by cogs/context."""

    public_after_requests: Annotated[int, Field(ge=1, strict=True)] = 3
    daily_limit: Annotated[int, Field(ge=0, strict=True)] = 5
    cooldown_seconds: Annotated[int, Field(ge=0, strict=True)] = 30
    per_target_daily_cap: Annotated[int, Field(ge=0, strict=True)] = 10
    proactive: Flag = False


class PolicySettings(_Model):
    """One server's effective moderation policy (immutable; build changed copies with :meth:`merged`)."""

    dry_run: Flag = False
    thresholds: Thresholds
    bands: Annotated[list[Band], Field(min_length=1, max_length=10)]
    label_actions: dict[Label, dict[BandName, Action]] = {}
    log_below: dict[Label, Fraction] = {}
    unaddressed_insults: Action = Action.LOG
    timeout_minutes: TimeoutMinutes = 10
    escalation: list[EscalationRung] = []
    watched_channels: list[Snowflake] = []
    exempt_channels: list[Snowflake] = []
    exempt_roles: list[Snowflake] = []
    moderator_roles: list[Snowflake] = []
    channels: dict[SnowflakeKey, ChannelOverride] = {}
    store_message_text: Flag = False
    retention_days: Annotated[int, Field(ge=1, le=3650, strict=True)] = 30
    queue_channel_id: Snowflake | None = None
    modlog_channel_id: Snowflake | None = None
    disabled_cogs: list[Annotated[str, Field(min_length=1)]] = []
    reports: ReportSettings = ReportSettings()
    context: ContextSettings = ContextSettings()

    @model_validator(mode="after")
    def _check_consistency(self) -> PolicySettings:
        names = [band.name for band in self.bands]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise _key_error(f"bands.{index}.name", f"duplicate band name {name!r}")
        mins = [band.min for band in self.bands]
        for index, value in enumerate(mins):
            if value in mins[:index]:
                raise _key_error(f"bands.{index}.min", f"two bands start at {value}")
        known = set(names)
        expected = ", ".join(names)

        def check_band_keys(prefix: str, mapping: Mapping[str, Any]) -> None:
            for band in mapping:
                if band not in known:
                    raise _key_error(f"{prefix}.{band}", f"unknown band (bands are: {expected})")

        for label, actions in self.label_actions.items():
            check_band_keys(f"label_actions.{label}", actions)
        for channel_id, override in self.channels.items():
            check_band_keys(f"channels.{channel_id}.actions", override.actions)
            for label, actions in override.label_actions.items():
                check_band_keys(f"channels.{channel_id}.label_actions.{label}", actions)
        return self

    # -- reading ------------------------------------------------------------------------------------

    @property
    def bands_by_min(self) -> list[Band]:
        """The bands, lowest ``min`` first."""
        return sorted(self.bands, key=lambda band: band.min)

    def band_for(self, score: float) -> Band:
        """The highest band whose ``min`` is <= ``score``; the lowest band when ``score`` is below all."""
        ordered = self.bands_by_min
        chosen = ordered[0]
        for band in ordered:
            if score >= band.min:
                chosen = band
        return chosen

    def channel(self, channel_id: int | None) -> ChannelOverride | None:
        """The override of ``channel_id``, if any."""
        return None if channel_id is None else self.channels.get(channel_id)

    def cog_enabled(self, name: str) -> bool:
        """False when the cog ``name`` is switched off for this server."""
        return name not in self.disabled_cogs

    # -- building -----------------------------------------------------------------------------------

    def merged(self, overrides: Mapping[str, Any], *, source: str | None = None) -> PolicySettings:
        """These settings with ``overrides`` (partial, nested) merged over them, validated.

        Tables merge key by key; arrays and plain values replace. Raises :class:`PolicyConfigError`
        naming the bad key (and ``source`` when given).
        """
        if not isinstance(overrides, Mapping):
            raise PolicyConfigError(
                [("", f"overrides must be a table (got {type(overrides).__name__})")], source
            )
        base = self.model_dump(mode="json")
        return validate_policy(deep_merge(base, normalize(overrides)), source=source)

    def to_overrides(self, base: PolicySettings | None = None) -> dict[str, Any]:
        """The smallest override table that turns ``base`` (default: the default policy) into these."""
        reference = (base or load_default_policy()).model_dump(mode="json")
        return _diff(self.model_dump(mode="json"), reference)


# -- helpers ----------------------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """A JSON-shaped copy: table keys as strings, tuples and sets as lists."""
    if isinstance(value, Mapping):
        return {str(key): normalize(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [normalize(item) for item in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` merged over ``base``: nested tables merge, everything else replaces."""
    result = dict(base)
    for key, value in overrides.items():
        current = result.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            result[key] = deep_merge(current, value)
        else:
            result[key] = value
    return result


def _diff(value: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in reference:
            out[key] = item
        elif isinstance(item, dict) and isinstance(reference[key], dict):
            nested = _diff(item, reference[key])
            if nested:
                out[key] = nested
        elif item != reference[key]:
            out[key] = item
    return out


def validate_policy(data: Mapping[str, Any], *, source: str | None = None) -> PolicySettings:
    """A complete settings table validated into :class:`PolicySettings`."""
    try:
        return PolicySettings.model_validate(data)
    except ValidationError as error:
        raise PolicyConfigError.from_validation(error, source) from None


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyConfigError([("", f"not valid TOML: {error}")], source) from None


def decode_toml(raw: bytes, source: str) -> str:
    """A TOML file's bytes as text: UTF-8, a leading byte-order mark (Windows editors) dropped."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PolicyConfigError(
            [("", f"is not UTF-8 text (byte {error.start}: {raw[error.start : error.start + 1]!r})")],
            source,
        ) from None


def _default_policy_text() -> tuple[str, str]:
    if REPO_DEFAULT_POLICY.is_file():
        source = "config/default.toml"
        return decode_toml(REPO_DEFAULT_POLICY.read_bytes(), source), source
    packaged = importlib.resources.files("bot.policy").joinpath(PACKAGED_DEFAULT_POLICY)
    source = "bot/policy/default.toml"
    return decode_toml(packaged.read_bytes(), source), source


@functools.cache
def load_default_policy() -> PolicySettings:
    """The default policy: ``config/default.toml`` in a checkout, its packaged copy when installed."""
    text, source = _default_policy_text()
    return validate_policy(_read_toml(text, source), source=source)


def load_policy_file(path: str | Path, *, base: PolicySettings | None = None) -> PolicySettings:
    """A full or partial policy TOML file merged over ``base`` (default: the default policy)."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PolicyConfigError([("", f"cannot read: {error.strerror or error}")], source) from None
    text = decode_toml(raw, source)
    return (base or load_default_policy()).merged(_read_toml(text, source), source=source)
