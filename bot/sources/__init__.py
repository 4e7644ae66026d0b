"""Source context (issue 5): members ask about a claim, Warden answers with neutral links.

Composition root usage::

    from bot.sources import build_context_service
    service = build_context_service(database, http_session, settings)   # ContextService
    bot.services.context = service                                     # the cog looks here

``settings`` may be a :class:`ContextSettings`, a mapping (``{"context": {...}}`` or the section
itself), an object with a ``context`` attribute, or None (defaults: local library only + semantic).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sources.config import ContextSettings, ProviderConfig, coerce_settings
from bot.sources.database_api import DatabaseLike
from bot.sources.library_admin import AddedSource
from bot.sources.member_requests import ContextReply, Refusal
from bot.sources.models import NO_RESULTS_TEXT, ContextResult, Source, SourceKind
from bot.sources.service import ContextService

__all__ = [
    "NO_RESULTS_TEXT",
    "AddedSource",
    "ContextReply",
    "ContextResult",
    "ContextService",
    "ContextSettings",
    "ProviderConfig",
    "Refusal",
    "Source",
    "SourceKind",
    "build_context_service",
]


def build_context_service(
    database: DatabaseLike, session: aiohttp.ClientSession | None, settings: Any = None
) -> ContextService:
    """The one way the core builds the context service (database migrated to >= 2, bot's HTTP session)."""
    return ContextService(database, session, coerce_settings(settings))
