"""Proactive mode (off unless ``proactive``, the server's setting over the deployment's): sources for a
strongly check-worthy claim posted in a watched channel, suggested to the moderators only, at most
``proactive_per_hour`` per guild."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.context_settings import ContextSettings
from bot.sources.claims import pick_claim
from bot.sources.member_requests import server_settings
from bot.sources.models import ContextResult
from bot.sources.search import SearchService


class SuggestionService:
    """Picks the claims worth a suggestion and remembers the last hour's suggestions per guild."""

    def __init__(
        self, settings: ContextSettings, search: SearchService, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.search = search
        self.clock = clock
        self._suggested: dict[int, list[datetime]] = {}

    async def suggest(
        self,
        text: str,
        *,
        guild_id: int,
        channel_id: int | None = None,
        server: Mapping[str, Any] | None = None,
    ) -> ContextResult | None:
        """A result worth showing the moderators for a check-worthy claim, or None. Needs a strongly
        check-worthy sentence and a strong match, and at most ``proactive_per_hour`` suggestions per
        guild."""
        s = server_settings(self.settings, server)
        if not s.proactive:
            return None
        pick = pick_claim(text)
        best = max((p.score for p in pick.sentences), default=0.0)
        if best < s.proactive_min_claim_score:
            return None
        now = self.clock()
        recent = [t for t in self._suggested.get(guild_id, []) if now - t < timedelta(hours=1)]
        if len(recent) >= s.proactive_per_hour:
            return None
        result = await self.search.context(text, guild_id=guild_id, channel_id=channel_id)
        strong = tuple(x for x in result.sources if x.score >= s.proactive_min_source_score)
        if not strong:
            return None
        self._suggested[guild_id] = [*recent, now]
        return ContextResult(claim=result.claim, sources=strong, original=text)
