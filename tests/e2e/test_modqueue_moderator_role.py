"""The moderator role end to end: members with a configured moderator role but without Manage Messages.

``/warden setup moderator_role:`` makes a role's members moderators: they may press the queue's buttons
and run ``/queue``, ``/warn``, ``/pardon``, ``/cases`` and ``/case`` (Discord shows those commands to
them once the server allows the role in its Integrations settings), and their "Get context" counts as
a moderator's. Without the role they are refused.
"""

from __future__ import annotations

import discord
import pytest
import simcord

from bot.errors import InvalidSettingError, MissingPermissionError
from bot.moderation.queue_rules import REFUSAL
from bot.storage.cases import CaseType
from bot.storage.queue import QueueStatus, Resolution
from tests.e2e.conftest import World, expect_error
from tests.e2e.test_context import library, reply_message  # noqa: F401  (library: the sources fixture)
from tests.e2e.test_modqueue import (  # noqa: F401  (warden_scorer: the module's deterministic scorer)
    entry_of,
    followup_text,
    queue_attack,
    warden_scorer,
)


def helpers(world: World) -> tuple[simcord.RoleHandle, simcord.MemberActor]:
    """A role with no permissions at all, and a member who holds only that role."""
    role = world.guild.create_role("Helpers", permissions=discord.Permissions.none())
    member = world.add_member("helper", role)
    assert member.member is not None
    assert not member.member.guild_permissions.manage_messages
    return role, member


async def show_to(world: World, name: str, role: simcord.RoleHandle) -> None:
    """What a server admin does in Server Settings → Integrations: allow ``role`` to see ``/name``."""
    registered = await world.bot.tree.fetch_commands()
    command = next(command for command in registered if command.name == name)
    world.guild.set_command_permissions(command, {role: True})


# --------------------------------------------------------------------------- /warden setup


async def test_setup_adds_and_removes_a_moderator_role(world: World) -> None:
    role, _helper = helpers(world)

    added = await world.admin.slash(world.news, "warden setup", moderator_role=role)

    assert added.ephemeral and "Saved." in added.response.content
    assert f"**Moderator roles:** {role.mention}" in added.response.content
    assert (await world.policy()).moderator_roles == [role.id]

    again = await world.admin.slash(world.news, "warden setup", moderator_role=role)
    assert "Current setup:" in again.response.content  # already a moderator role: nothing to save
    assert (await world.policy()).moderator_roles == [role.id]

    removed = await world.admin.slash(world.news, "warden setup", remove_moderator_role=role)

    assert "Saved." in removed.response.content
    assert "**Moderator roles:** none (Manage Messages only)" in removed.response.content
    assert (await world.policy()).moderator_roles == []


async def test_everyone_cannot_be_a_moderator_role(world: World) -> None:
    result = await world.admin.slash(world.news, "warden setup", moderator_role=world.guild.default_role)

    assert result.ephemeral and "@everyone" in result.response.content
    error = expect_error(world.env, InvalidSettingError)
    assert isinstance(error, InvalidSettingError) and error.name == "moderator_role"
    assert (await world.policy()).moderator_roles == []


# --------------------------------------------------------------------------- queue buttons


async def test_moderator_role_can_press_a_queue_button(world: World) -> None:
    role, helper = helpers(world)
    await world.admin.slash(world.news, "warden setup", moderator_role=role)
    message, posted = await queue_attack(world)

    result = await helper.click(posted, label="Delete")

    assert "Case #" in followup_text(result)
    assert message.id not in [m.id for m in world.news.history()]
    (case,) = await world.cases(world.alice)
    assert case.type is CaseType.DELETE and case.moderator_id == helper.id
    entry = await entry_of(world, posted)
    assert entry.resolution is Resolution.DELETED and entry.resolved_by == helper.id


async def test_without_the_moderator_role_the_button_is_refused(world: World) -> None:
    role, helper = helpers(world)
    other = world.guild.create_role("Trusted", permissions=discord.Permissions.none())
    await world.set_policy(moderator_roles=[other.id])  # some other role is the moderator role
    message, posted = await queue_attack(world)

    result = await helper.click(posted, label="Delete")

    assert result.ephemeral
    assert result.response is not None and result.response.content == REFUSAL
    assert message.id in [m.id for m in world.news.history()]
    assert await world.cases(world.alice) == []
    assert (await entry_of(world, posted)).status is QueueStatus.OPEN
    assert role.id not in (await world.policy()).moderator_roles


async def test_removing_the_role_takes_the_queue_away(world: World) -> None:
    role, helper = helpers(world)
    await world.admin.slash(world.news, "warden setup", moderator_role=role)
    await world.admin.slash(world.news, "warden setup", remove_moderator_role=role)
    _message, posted = await queue_attack(world)

    result = await helper.click(posted, label="Approve")

    assert result.response is not None and result.response.content == REFUSAL
    assert (await entry_of(world, posted)).status is QueueStatus.OPEN


async def test_moderator_role_does_not_grant_ban_members(world: World) -> None:
    role, helper = helpers(world)
    await world.set_policy(moderator_roles=[role.id])
    _message, posted = await queue_attack(world)

    result = await helper.click(posted, label="Ban")

    assert "Ban Members" in followup_text(result)
    assert world.guild.get_ban(world.alice) is None
    assert (await entry_of(world, posted)).status is QueueStatus.OPEN


# --------------------------------------------------------------------------- slash commands


async def test_moderator_role_is_hidden_from_queue_until_the_server_allows_it(world: World) -> None:
    role, helper = helpers(world)
    await world.set_policy(moderator_roles=[role.id])

    with pytest.raises(simcord.SetupError):
        # default_permissions(manage_messages): Discord hides /queue from a role-only moderator.
        await helper.slash(world.queue_channel, "queue list")


async def test_moderator_role_can_run_queue_list(world: World) -> None:
    role, helper = helpers(world)
    await world.set_policy(moderator_roles=[role.id])
    await show_to(world, "queue", role)
    await queue_attack(world)

    result = await helper.slash(world.queue_channel, "queue list")

    assert result.ephemeral and result.response is not None
    embed = result.response.embeds[0]
    assert embed.title == "Mod queue: 1 waiting"
    assert (embed.description or "").startswith("**#1** flagged")


async def test_queue_list_without_the_moderator_role_is_refused(world: World) -> None:
    role, helper = helpers(world)
    await show_to(world, "queue", role)  # visible to the role, but the role is not a moderator role

    result = await helper.slash(world.queue_channel, "queue list")

    assert result.ephemeral
    assert result.response.content == (
        "You need the **Manage Messages** permission or a moderator role for this."
    )
    assert result.response.embeds == []
    expect_error(world.env, MissingPermissionError)


async def test_moderator_role_can_warn_and_read_cases(world: World) -> None:
    role, helper = helpers(world)
    await world.set_policy(moderator_roles=[role.id])
    for name in ("warn", "cases", "case", "pardon"):
        await show_to(world, name, role)

    warned = await helper.slash(world.news, "warn", member=world.alice, reason="be civil")

    (case,) = await world.cases(world.alice)
    assert case.type is CaseType.WARN and case.moderator_id == helper.id
    assert f"Case #{case.case_number}" in warned.response.content
    listed = await helper.slash(world.news, "cases", user=world.alice)
    assert "be civil" in listed.response.content
    shown = await helper.slash(world.news, "case", id=case.case_number)
    assert shown.response.embeds
    pardoned = await helper.slash(world.news, "pardon", case=case.case_number, reason="misread")
    assert "pardoned" in pardoned.response.content
    assert (await world.cases(world.alice))[0].pardoned


async def test_warn_without_the_moderator_role_is_refused(world: World) -> None:
    role, helper = helpers(world)
    await show_to(world, "warn", role)

    result = await helper.slash(world.news, "warn", member=world.alice, reason="be civil")

    assert result.ephemeral and "moderator role" in result.response.content
    expect_error(world.env, MissingPermissionError)
    assert await world.cases(world.alice) == []


# --------------------------------------------------------------------------- context


@pytest.mark.usefixtures("library")
async def test_moderator_role_asking_for_context_counts_as_a_moderator(world: World) -> None:
    role, helper = helpers(world)
    claim = await world.alice.send(world.off_topic, "Putin authorised 54 Israeli strikes in Syria in 2019")

    def public_replies() -> list[discord.Message]:
        return [m for m in world.off_topic.history() if m.author.id == world.bot.user.id and m.embeds]

    # Not (yet) a moderator: the answer is private, like any member's first request.
    private = await helper.context_menu(world.off_topic, "Get context", claim)
    assert reply_message(private).ephemeral and reply_message(private).embeds
    assert public_replies() == []

    await world.set_policy(moderator_roles=[role.id])
    again = await helper.context_menu(world.off_topic, "Get context", claim)

    # A moderator's request goes public at once (and skips the members' cooldown).
    assert "posted under the message" in reply_message(again).content
    (post,) = public_replies()
    assert post.reference is not None and post.reference.message_id == claim.id
