"""Domain exceptions: what can go wrong in Warden, as plain data.

Every exception carries attributes (not just a message) and a ``user_message``: the short text a
member sees, ephemeral, when a command fails with it. The one error handler
(``bot.discord_adapter.reporting.report_error``, installed on the command tree by the client) turns
these into replies and sends tracebacks of everything else to the log. No discord.py import here.
"""

from __future__ import annotations

PERMISSION_NAMES: dict[str, str] = {
    "manage_guild": "Manage Server",
    "manage_messages": "Manage Messages",
    "moderate_members": "Timeout Members",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "view_channel": "View Channel",
    "read_message_history": "Read Message History",
    "kick_members": "Kick Members",
    "ban_members": "Ban Members",
}
"""Permission attribute names as Discord's client shows them."""


def permission_name(permission: str) -> str:
    """``manage_guild`` -> ``Manage Server`` (Discord's wording)."""
    return PERMISSION_NAMES.get(permission, permission.replace("_", " ").title())


class WardenError(Exception):
    """Base of the expected failures. ``user_message`` is safe to show to the member who asked."""

    user_message: str = "That did not work."

    def __init__(self, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(self.user_message)


class CogDisabledError(WardenError):
    """A feature (cog) is switched off in this server."""

    def __init__(self, cog: str, guild_id: int | None) -> None:
        self.cog = cog
        self.guild_id = guild_id
        super().__init__(f"The `{cog}` feature is switched off in this server.")


class MissingPermissionError(WardenError):
    """The invoking member lacks a Discord permission the command needs (checked at run time)."""

    def __init__(self, permission: str) -> None:
        self.permission = permission
        super().__init__(f"You need the **{permission_name(permission)}** permission for this.")


class BotMissingPermissionError(WardenError):
    """Discord refused an action because the bot lacks a permission (HTTP 403 / 50013)."""

    def __init__(self, permission: str, action: str = "") -> None:
        self.permission = permission
        self.action = action
        what = f" to {action}" if action else ""
        super().__init__(
            f"I am missing the **{permission_name(permission)}** permission{what}. "
            "An admin can grant it in Server Settings → Roles."
        )


class HierarchyError(WardenError):
    """The target's top role is at or above the bot's or the moderator's top role."""

    def __init__(self, target_id: int, *, blocked_by: str, role_name: str = "") -> None:
        self.target_id = target_id
        self.blocked_by = blocked_by  # "bot" or "moderator"
        self.role_name = role_name
        who = "my" if blocked_by == "bot" else "your"
        role = f" ({role_name})" if role_name else ""
        super().__init__(
            f"I can't act on <@{target_id}>: their top role{role} is at or above {who} top role."
        )


class CaseNotFoundError(WardenError):
    """No case with that number in this server."""

    def __init__(self, case_number: int) -> None:
        self.case_number = case_number
        super().__init__(f"There is no case #{case_number} in this server.")


class CaseStateError(WardenError):
    """The case cannot change that way (already pardoned, not active, ...)."""

    def __init__(self, case_number: int, problem: str) -> None:
        self.case_number = case_number
        self.problem = problem
        super().__init__(f"Case #{case_number}: {problem}.")


class InvalidSettingError(WardenError):
    """An admin tried to store a setting the policy rejects (bad threshold, unknown label, ...)."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"`{name}`: {problem}")


class NotConfiguredError(WardenError):
    """A feature needs a setting the server has not made yet (for example the modlog channel)."""

    def __init__(self, setting: str, hint: str = "") -> None:
        self.setting = setting
        self.hint = hint
        tail = f" {hint}" if hint else " An admin can set it with `/warden setup`."
        super().__init__(f"`{setting}` is not configured.{tail}")


class InvalidTargetError(WardenError):
    """The command targets someone it cannot apply to (a bot, the moderator themselves, ...)."""

    def __init__(self, target_id: int, problem: str) -> None:
        self.target_id = target_id
        self.problem = problem
        super().__init__(problem)
