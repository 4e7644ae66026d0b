"""The member-requests service: a member asks about a claim (``/context``, "Get context"), Warden checks
the limits, searches, decides whether the reply goes public and records what was asked; then the
feedback on the reply, the retention of requests and ``/warden forget``.

The rules themselves (rate limits, the per-author cap, the public threshold, a server's own limits) are
the blocking functions of :mod:`bot.sources.member_requests`, run here on the database thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.context_settings import ContextSettings
from bot.sources.database_api import DatabaseLike, on_requests
from bot.sources.member_requests import (
    ContextReply,
    Refusal,
    limit_refusal,
    reserve_request,
    server_settings,
)
from bot.sources.request_log import RequestLog
from bot.sources.search import SearchService

log = logging.getLogger(__name__)

T = TypeVar("T")

CLAIM_KEPT_CHARS = 1000
"""The searched sentence is recorded with the request, at most this long."""


class MemberRequestService:
    """Members' context requests and their feedback; ``search`` answers them."""

    def __init__(
        self,
        database: DatabaseLike,
        settings: ContextSettings,
        search: SearchService,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.settings = settings
        self.search = search
        self.clock = clock

    async def _log(self, fn: Callable[[RequestLog], T]) -> T:
        return await on_requests(self.database, fn)

    async def check_limits(
        self,
        *,
        guild_id: int,
        requester_id: int,
        target_author_id: int | None,
        is_moderator: bool = False,
        server: Mapping[str, Any] | None = None,
    ) -> Refusal | None:
        """Would this request be refused right now? (Read-only; :meth:`request_context` checks atomically.)
        ``server``: the server's policy ``[context]`` values (:func:`.member_requests.policy_values`)."""
        now = self.clock()
        settings = server_settings(self.settings, server)
        return await self._log(
            lambda requests: limit_refusal(
                requests,
                settings,
                guild_id=guild_id,
                requester_id=requester_id,
                target_author_id=target_author_id,
                is_moderator=is_moderator,
                now=now,
            )
        )

    async def request_context(
        self,
        text: str,
        *,
        guild_id: int,
        requester_id: int,
        channel_id: int | None = None,
        message_id: int | None = None,
        target_author_id: int | None = None,
        is_moderator: bool = False,
        pick: bool = True,
        server: Mapping[str, Any] | None = None,
    ) -> ContextReply:
        """Everything a member request needs: limits, search, whether to answer publicly, a record.

        The limit check, the public decision and the request record happen in one step on the database
        thread, so two requests arriving together can't both slip under a limit or both go public.
        ``server``: the server's policy ``[context]`` values, applied over the deployment's limits
        (:func:`~bot.sources.member_requests.policy_values`)."""
        now = self.clock()
        settings = server_settings(self.settings, server)
        refusal, request_id, public, already = await self._log(
            lambda requests: reserve_request(
                requests,
                settings,
                text=text,
                guild_id=guild_id,
                requester_id=requester_id,
                channel_id=channel_id,
                message_id=message_id,
                target_author_id=target_author_id,
                is_moderator=is_moderator,
                now=now,
            )
        )
        if refusal is not None:
            log.info("context request refused", extra={"guild_id": guild_id, "reason": refusal.code})
            return ContextReply(result=None, refusal=refusal)
        result = await self.search.context(text, guild_id=guild_id, channel_id=channel_id, pick=pick)
        await self._log(
            lambda requests: requests.update(
                request_id, claim=(result.claim or text)[:CLAIM_KEPT_CHARS], n_results=len(result.sources)
            )
        )
        return ContextReply(result=result, request_id=request_id, public=public, already_public=already)

    async def demote_public(self, request_id: int) -> None:
        """The public post failed (e.g. missing permission): record the reply as ephemeral."""
        await self._log(lambda requests: requests.update(request_id, public=0))

    async def record_feedback(self, request_id: int, user_id: int, helpful: bool) -> bool:
        """A member's Helpful / Not helpful vote on a reply (their last vote counts); False when the
        request is no longer on record."""
        return await self._log(lambda requests: requests.record_feedback(request_id, user_id, helpful))

    async def feedback_counts(self, request_id: int) -> tuple[int, int]:
        """(helpful, not helpful) votes on a reply."""
        return await self._log(lambda requests: requests.feedback_counts(request_id))

    async def prune_requests(self) -> int:
        """Delete requests older than ``request_retention_days`` (run on the feed schedule)."""
        before = self.clock() - timedelta(days=self.settings.request_retention_days)
        return await self._log(lambda requests: requests.prune(before))

    async def forget_member(self, guild_id: int, user_id: int) -> int:
        """``/warden forget``: erase the context requests ``user_id`` made in ``guild_id``, those about
        their messages (claim text included) and the feedback votes on them, plus the member's own votes
        on the guild's other requests, in one transaction. Returns the number of rows erased (requests +
        votes). Library sources and channel articles stay: they are the server's, not the member's."""
        erased = await self._log(lambda requests: requests.forget_user(guild_id, user_id))
        log.info("context data of a member erased", extra={"guild_id": guild_id, **erased})
        return erased["requests"] + erased["feedback"]
