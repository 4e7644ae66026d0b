"""Events the bot dispatches for cogs (built-in and deployment plug-ins) to listen to.

``warden_decision``
    Dispatched once for every message the scoring cog scored (new messages, edits that changed the
    content, and the full model's re-score of a ``degraded`` decision), whatever the decision, dry-run
    included. Listen with::

        @commands.Cog.listener()
        async def on_warden_decision(self, event: DecisionEvent) -> None: ...

    The payload is :class:`DecisionEvent`. Its fields are stable: new fields may be added with
    defaults, existing ones are never renamed or removed. It carries only plain data (ids, strings,
    floats): no discord.py objects, so a plug-in can serialise it with :meth:`DecisionEvent.to_dict`.

``warden_appeal``
    Dispatched when a member appealed a case from the button in their DM; the appeal is already stored
    in the mod queue (``QueueRepository``, ``source="appeal"``, linked to the case). The mod queue cog
    posts it in the queue channel. Payload: :class:`AppealEvent`.

No discord.py import here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DECISION_EVENT = "warden_decision"
"""The event name: ``bot.dispatch(DECISION_EVENT, event)`` calls every ``on_warden_decision`` listener."""

APPEAL_EVENT = "warden_appeal"
"""``on_warden_appeal(event: AppealEvent)``: a member appealed a case; the queue entry exists."""


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """What the bot decided about one message.

    ``scores`` maps the six labels to probabilities (the maximum over the message's chunks);
    ``decision`` is :meth:`bot.policy.decision.Decision.to_payload` (``action``, ``labels``,
    ``reason``, ``evidence``, ``band``, ``dry_run``, ``escalated_from``, ``timeout_minutes``,
    ``escalation``, ``unaddressed_insult``);
    ``edited`` is true when the message was re-scored after an edit; ``content`` is the message text
    as scored (raw, unescaped: escape it before echoing it anywhere). ``case_number`` and
    ``queue_entry_id`` are the automatic case and the mod queue entry this decision opened, stored in
    one transaction with the score (``None`` when it opened none): the warnings cog DMs, acts on and
    logs that case, the mod queue cog posts that entry. ``degraded`` is true when the full model could
    not answer in time and the lexical tier decided, at stricter thresholds (:mod:`bot.policy.degraded`);
    ``rescored`` when this is the full model's later decision on such a message (dispatched again, like
    an edit: it never opens a second case).

    The event is dispatched once the decision is stored and its case (warn, delete, timeout) carried
    out, in the author's turn (one member's messages in arrival order); the mod queue cog (queue) is a
    listener of this same event, like any plug-in.
    """

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    jump_url: str
    scores: dict[str, float]
    decision: dict[str, Any]
    model_version: str
    backend: str
    dry_run: bool
    edited: bool = False
    content: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    case_number: int | None = None
    queue_entry_id: int | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    """The words that carried each fired label, as ``{"text", "label", "weight"}`` dicts
    (:mod:`bot.explain`): computed for a decision with an action above ``none``, empty otherwise."""
    degraded: bool = False
    rescored: bool = False

    @property
    def action(self) -> str:
        """The decided action's name (``none``, ``log``, ``warn``, ``queue``, ``delete``, ``timeout``)."""
        return str(self.decision.get("action", "none"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy of the event."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AppealEvent:
    """A member's appeal of a case, stored as mod queue entry ``queue_entry_id``."""

    guild_id: int
    case_number: int
    case_id: int
    user_id: int
    queue_entry_id: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy of the event."""
        return asdict(self)
