"""Member context requests: the rate limits, the per-author cap and the public-reply rule.

Blocking functions over the :class:`~bot.sources.store.RequestLog`, run on the database thread by
:class:`~bot.sources.service.ContextService` (``check_limits``, ``request_context``), so the check, the
public decision and the record happen in one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.sources.config import ContextSettings
from bot.sources.models import ContextResult
from bot.sources.store import RequestLog


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str  # "cooldown" | "daily" | "target_cap"
    message: str  # polite, shown to the member


@dataclass(frozen=True, slots=True)
class ContextReply:
    """The outcome of one member request: a result to render, or a polite refusal."""

    result: ContextResult | None
    request_id: int | None = None
    public: bool = False
    refusal: Refusal | None = None
    already_public: bool = False  # a public reply under this message exists already


def limit_refusal(
    log_: RequestLog,
    settings: ContextSettings,
    *,
    guild_id: int,
    requester_id: int,
    target_author_id: int | None,
    is_moderator: bool,
    now: datetime,
) -> Refusal | None:
    """The first limit this request breaks, or None (blocking; runs on the database thread)."""
    if is_moderator:
        return None
    s = settings
    recent = log_.member_requests_since(guild_id, requester_id, now - timedelta(days=1))
    if recent:
        wait = s.cooldown_s - (now - datetime.fromisoformat(recent[0])).total_seconds()
        if wait > 0:
            return Refusal(
                "cooldown",
                f"You asked for context a moment ago. Please try again in {int(wait) + 1} seconds.",
            )
    if len(recent) >= s.daily_limit:
        return Refusal(
            "daily",
            f"You've reached today's limit of {s.daily_limit} context requests. "
            "Thanks for checking sources; you can ask again tomorrow.",
        )
    if target_author_id is not None and target_author_id != requester_id:
        count = log_.target_requests_since(guild_id, target_author_id, now - timedelta(days=1))
        if count >= s.per_target_daily_cap:
            return Refusal(
                "target_cap",
                "Context has already been requested many times today for this member's messages, so "
                "Warden is pausing further requests about them. The moderators can still look.",
            )
    return None


def reserve_request(
    log_: RequestLog,
    settings: ContextSettings,
    *,
    text: str,
    guild_id: int,
    requester_id: int,
    channel_id: int | None,
    message_id: int | None,
    target_author_id: int | None,
    is_moderator: bool,
    now: datetime,
) -> tuple[Refusal | None, int, bool, bool]:
    """Check the limits, decide whether the reply goes public and record the request, in one step
    (blocking; runs on the database thread). Returns ``(refusal, request id, public, already public)``:
    a message answers publicly once enough members asked (``public_threshold``) or a moderator did, and
    never twice."""
    refusal = limit_refusal(
        log_,
        settings,
        guild_id=guild_id,
        requester_id=requester_id,
        target_author_id=target_author_id,
        is_moderator=is_moderator,
        now=now,
    )
    fields = {
        "guild_id": guild_id,
        "requester_id": requester_id,
        "claim": text,
        "channel_id": channel_id,
        "message_id": message_id,
        "target_author_id": target_author_id,
        "at": now,
    }
    if refusal is not None:
        return refusal, log_.record(**fields, refused=refusal.code), False, False
    public = already = False
    if message_id is not None:
        already = log_.message_has_public_reply(message_id)
        askers = log_.message_requesters(message_id) | {requester_id}
        public = not already and (is_moderator or len(askers) >= settings.public_threshold)
    return None, log_.record(**fields, public=public), public, already
