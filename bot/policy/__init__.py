"""Per-server moderation policy and the engine that turns scores into a :class:`Decision`. No discord.py.

Public API::

    from bot.policy import PolicySettings, load_default_policy, load_policy_file, PolicyConfigError
    from bot.policy import evaluate, AuthorHistory, Action, Decision
"""

from bot.policy.decision import Action, Decision
from bot.policy.engine import AuthorHistory, evaluate
from bot.policy.errors import PolicyConfigError
from bot.policy.settings import (
    Band,
    ChannelOverride,
    ContextSettings,
    EscalationRung,
    PolicySettings,
    ReportSettings,
    Thresholds,
    load_default_policy,
    load_policy_file,
)

__all__ = [
    "Action",
    "AuthorHistory",
    "Band",
    "ChannelOverride",
    "ContextSettings",
    "Decision",
    "EscalationRung",
    "PolicyConfigError",
    "PolicySettings",
    "ReportSettings",
    "Thresholds",
    "evaluate",
    "load_default_policy",
    "load_policy_file",
]
