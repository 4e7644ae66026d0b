"""Member context requests: the rate limits, the per-author cap and the public-reply rule.

Blocking functions over the :class:`~bot.sources.store.RequestLog`, run on the database thread by
:class:`~bot.sources.request_service.MemberRequestService` (``check_limits``, ``request_context``), so
the check, the public decision and the record happen in one step.

The limits are per server: the deployment's context settings (:class:`ContextSettings`,
``$WARDEN_CONTEXT_CONFIG``) are the defaults, and a server's policy ``[context]`` table applies over
them (:func:`server_values`, :func:`server_settings`): the keys the server set, and those where the
deployment's policy file differs from the built-in policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.context_settings import ContextSettings
from bot.sources.models import ContextResult
from bot.sources.request_log import RequestLog

SERVER_KEYS: dict[str, str] = {
    "public_after_requests": "public_threshold",
    "daily_limit": "daily_limit",
    "cooldown_seconds": "cooldown_s",
    "per_target_daily_cap": "per_target_daily_cap",
    "proactive": "proactive",
}
"""A policy ``[context]`` key -> the :class:`ContextSettings` field it overrides for that server."""


def server_values(policy_context: Any, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[context]`` values a server's effective policy sets, by policy key.

    ``policy_context`` is the policy's :class:`bot.policy.settings.ContextSettings`; ``overrides`` the
    server's stored ``[context]`` overrides. A key counts when the server set it (even to the built-in
    value) or when its value differs from the built-in default (the deployment's policy file changed
    it); any other key is left to the deployment's context settings.
    """
    if policy_context is None:
        return {}
    builtin = type(policy_context)()
    named = overrides or {}
    return {
        key: getattr(policy_context, key)
        for key in SERVER_KEYS
        if hasattr(policy_context, key)
        and (key in named or getattr(policy_context, key) != getattr(builtin, key))
    }


def server_settings(process: ContextSettings, server: Mapping[str, Any] | None) -> ContextSettings:
    """``process`` with a server's values (policy key names, :func:`server_values`) applied over it."""
    update = {SERVER_KEYS[key]: value for key, value in (server or {}).items() if key in SERVER_KEYS}
    return process.model_copy(update=update) if update else process


async def policy_values(policies: Any, guild_id: int | None) -> dict[str, Any]:
    """:func:`server_values` of ``guild_id`` read from a :class:`bot.moderation.store.PolicyStore`
    (``{}`` without one or outside a server)."""
    if policies is None or not guild_id:
        return {}
    policy = await policies.get(guild_id)
    overrides = await policies.overrides(guild_id)
    named = overrides.get("context") if isinstance(overrides, Mapping) else None
    return server_values(policy.context, named if isinstance(named, Mapping) else None)


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
    if s.daily_limit <= 0:  # a server's policy may set 0: members don't ask here
        return Refusal(
            "daily", "Members can't ask for context in this server; the moderators can still look."
        )
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
    with log_.reserving(guild_id):
        refusal = limit_refusal(
            log_,
            settings,
            guild_id=guild_id,
            requester_id=requester_id,
            target_author_id=target_author_id,
            is_moderator=is_moderator,
            now=now,
        )
        public = already = False
        if refusal is None and message_id is not None:
            already = log_.message_has_public_reply(message_id)
            askers = log_.message_requesters(message_id) | {requester_id}
            public = not already and (is_moderator or len(askers) >= settings.public_threshold)
        request_id = log_.record(
            guild_id=guild_id,
            requester_id=requester_id,
            claim=text,
            channel_id=channel_id,
            message_id=message_id,
            target_author_id=target_author_id,
            at=now,
            public=public,
            refused=refusal.code if refusal is not None else None,
        )
        return refusal, request_id, public, already
