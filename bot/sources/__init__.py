"""Source context (issue 5): members ask about a claim, Warden answers with neutral links.

Composition root usage::

    from bot.sources import build_context_service
    service = build_context_service(database, http_session, settings)   # ContextService
    bot.services.context = service                                     # the cog looks here

:class:`ContextService` composes the library, feeds, search, member-requests and suggestion services
(:mod:`bot.sources.service`).

``settings`` may be the process settings (:class:`bot.settings.Settings`: its ``context`` section), a
:class:`ContextSettings`, a mapping (``{"context": {...}}`` or the section itself), or None (the section
read from the environment, as ``python -m bot`` reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.context_settings import ContextSettings, ProviderConfig, validate_section
from bot.settings import Settings, context_from_env
from bot.sources.database_api import DatabaseLike
from bot.sources.member_requests import ContextReply, Refusal
from bot.sources.models import (
    NO_RESULTS_TEXT,
    AddedSource,
    ContextResult,
    Feed,
    FeedAdded,
    LibrarySource,
    Source,
    SourceKind,
)
from bot.sources.request_service import MemberRequestService
from bot.sources.service import ContextService

__all__ = [
    "NO_RESULTS_TEXT",
    "AddedSource",
    "ContextReply",
    "ContextResult",
    "ContextService",
    "ContextSettings",
    "Feed",
    "FeedAdded",
    "LibrarySource",
    "MemberRequestService",
    "ProviderConfig",
    "Refusal",
    "Source",
    "SourceKind",
    "build_context_service",
    "coerce_settings",
]


def coerce_settings(settings: Settings | ContextSettings | Mapping[str, Any] | None) -> ContextSettings:
    """The context section of ``settings`` (see the module's docstring). A mapping is validated by key:
    :class:`~bot.context_settings.ContextConfigError` names the key at fault."""
    if settings is None:
        return context_from_env()
    if isinstance(settings, ContextSettings):
        return settings
    if isinstance(settings, Settings):
        return settings.context
    if isinstance(settings, Mapping):
        return validate_section(settings)
    raise TypeError(f"not context settings: {type(settings).__name__}")


def build_context_service(
    database: DatabaseLike,
    session: aiohttp.ClientSession | None,
    settings: Settings | ContextSettings | Mapping[str, Any] | None = None,
) -> ContextService:
    """The one way the core builds the context service (database migrated to >= 2, bot's HTTP session)."""
    return ContextService(database, session, coerce_settings(settings))
