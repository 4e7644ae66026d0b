"""The bot's context service as this cog uses it: ``bot.services.context`` (typed by the core as the
small :class:`~bot.service_protocols.ContextFeature`) narrowed to :class:`bot.sources.ContextService`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sources import ContextService

if TYPE_CHECKING:
    from bot.services import Services


def context_service(services: Services) -> ContextService | None:
    """The context service, or None where the bot has none (the feature is not set up)."""
    service = services.context
    return service if isinstance(service, ContextService) else None
