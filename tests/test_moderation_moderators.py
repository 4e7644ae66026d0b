"""Who counts as a moderator: Manage Messages or a configured moderator role (one rule for every check)."""

from __future__ import annotations

import tomllib

import pytest

from bot.errors import MissingPermissionError
from bot.moderation.moderators import NotModeratorError, is_moderator, is_policy_moderator
from bot.moderation.queue_rules import ModeratorCheck, may_moderate
from bot.policy import PolicyConfigError, load_default_policy
from bot.policy.settings import REPO_DEFAULT_POLICY


def test_manage_messages_is_a_moderator_without_any_role() -> None:
    assert is_moderator(manage_messages=True, role_ids=(), moderator_role_ids=())


def test_a_configured_role_makes_a_moderator() -> None:
    assert is_moderator(manage_messages=False, role_ids=[5, 7], moderator_role_ids=[7, 9])


def test_other_roles_do_not() -> None:
    assert not is_moderator(manage_messages=False, role_ids=[5, 7], moderator_role_ids=[9])
    assert not is_moderator(manage_messages=False, role_ids=[5, 7], moderator_role_ids=[])
    assert not is_moderator(manage_messages=False, role_ids=[], moderator_role_ids=[9])


def test_role_ids_may_be_a_one_shot_iterable() -> None:
    assert is_moderator(manage_messages=False, role_ids=iter([1, 2, 3]), moderator_role_ids=iter([3]))


def test_policy_moderator_reads_the_policy_roles() -> None:
    policy = load_default_policy().merged({"moderator_roles": [42]})

    assert is_policy_moderator(policy, manage_messages=False, role_ids=[42])
    assert not is_policy_moderator(policy, manage_messages=False, role_ids=[43])
    assert not is_policy_moderator(load_default_policy(), manage_messages=False, role_ids=[42])


def test_the_queue_uses_the_same_rule() -> None:
    helper = ModeratorCheck(user_id=1, role_ids=frozenset({42}))
    assert may_moderate(helper, [42]) and not may_moderate(helper, [43])
    assert may_moderate(ModeratorCheck(user_id=1, administrator=True), [])


def test_refusal_is_a_missing_manage_messages_that_mentions_the_role() -> None:
    error = NotModeratorError()
    assert isinstance(error, MissingPermissionError) and error.permission == "manage_messages"
    assert error.user_message == "You need the **Manage Messages** permission or a moderator role for this."
    assert str(error) == error.user_message


def test_default_policy_has_no_moderator_role_as_a_top_level_key() -> None:
    assert load_default_policy().moderator_roles == []
    # A top-level key: placed before the first [table], so TOML does not nest it in one.
    raw = tomllib.loads(REPO_DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert raw["moderator_roles"] == []
    assert all("moderator_roles" not in value for value in raw.values() if isinstance(value, dict))


@pytest.mark.parametrize("bad", [[0], [-5], ["mods"], 42])
def test_moderator_roles_must_be_role_ids(bad: object) -> None:
    with pytest.raises(PolicyConfigError, match="moderator_roles"):
        load_default_policy().merged({"moderator_roles": bad})
