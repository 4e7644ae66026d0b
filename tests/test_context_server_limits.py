"""Per-server context limits: a server's policy ``[context]`` table applies over the deployment's
context settings (``daily_limit = 2`` refuses the third request, ``cooldown_seconds = 0`` lets the
second one through at once), and what the server did not set stays the deployment's."""

from __future__ import annotations

from typing import Any

import pytest

from bot.context_settings import ContextSettings
from bot.moderation.store import PolicyStore
from bot.policy.settings import ContextSettings as PolicyContext
from bot.sources.member_requests import policy_values, server_settings, server_values
from bot.sources.service import ContextService
from bot.storage.database import Database
from bot.storage.settings import SettingsRepository
from tests.test_context_service import GUILD, Clock

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(database: Database, clock: Clock) -> ContextService:
    svc = ContextService(database, None, ContextSettings(semantic=False), clock=clock)
    await svc.add_text(
        "Israeli F-16 crashes after Syrian fire",
        "An Israeli F-16 was lost to Syrian fire in 2018.",
        "https://a.example/f16",
        guild_id=GUILD,
    )
    return svc


async def ask(service: ContextService, server: dict[str, Any], requester: int = 1) -> Any:
    return await service.request_context(
        "Israel has lost 2 F16s",
        guild_id=GUILD,
        requester_id=requester,
        channel_id=1,
        target_author_id=99,
        server=server,
    )


async def test_a_server_daily_limit_of_two_refuses_the_third_request(
    service: ContextService, clock: Clock
) -> None:
    server = server_values(PolicyContext(daily_limit=2), {"daily_limit": 2})
    assert server == {"daily_limit": 2}
    for _ in range(2):
        assert (await ask(service, server)).refusal is None
        clock.advance(31)
    third = await ask(service, server)
    assert third.refusal is not None and third.refusal.code == "daily"
    assert "limit of 2" in third.refusal.message
    # the deployment's limit (5) still applies where the server set nothing
    assert (await ask(service, {}, requester=2)).refusal is None


async def test_a_server_cooldown_of_zero_answers_the_second_request_at_once(
    service: ContextService,
) -> None:
    server = server_values(PolicyContext(cooldown_seconds=0), {"cooldown_seconds": 0})
    assert (await ask(service, server)).refusal is None
    second = await ask(service, server)
    assert second.refusal is None and second.result is not None
    # without the server's value the deployment's 30 s cooldown refuses it
    refused = await ask(service, {})
    assert refused.refusal is not None and refused.refusal.code == "cooldown"


async def test_a_server_daily_limit_of_zero_is_a_clear_refusal(service: ContextService) -> None:
    refused = await ask(service, {"daily_limit": 0})
    assert refused.refusal is not None and "can't ask for context in this server" in refused.refusal.message
    moderator = await service.request_context(
        "Israel has lost 2 F16s", guild_id=GUILD, requester_id=3, is_moderator=True, server={"daily_limit": 0}
    )
    assert moderator.refusal is None


def test_server_values_take_what_the_server_or_the_deployment_policy_set() -> None:
    builtin = PolicyContext()
    # nothing set: the deployment's context settings decide everything
    assert server_values(builtin, {}) == {}
    # a key the server stored counts even at the built-in value (over a deployment that differs)
    assert server_values(builtin, {"daily_limit": 5}) == {"daily_limit": 5}
    # a deployment policy file that changed a value (differs from the built-in) counts too
    assert server_values(PolicyContext(public_after_requests=4), None) == {"public_after_requests": 4}


def test_server_settings_map_policy_keys_onto_the_deployment_settings() -> None:
    process = ContextSettings(semantic=False, daily_limit=9, cooldown_s=60)
    merged = server_settings(
        process,
        {"daily_limit": 2, "cooldown_seconds": 0, "public_after_requests": 4, "per_target_daily_cap": 1},
    )
    assert (merged.daily_limit, merged.cooldown_s, merged.public_threshold) == (2, 0, 4)
    assert merged.per_target_daily_cap == 1
    assert server_settings(process, {}) is process
    assert server_settings(process, {"cooldown_seconds": 5}).daily_limit == 9


async def test_policy_values_read_the_servers_stored_policy(database: Database) -> None:
    policies = PolicyStore(database, SettingsRepository(database))
    assert await policy_values(policies, GUILD) == {}
    await policies.update(GUILD, {"context": {"daily_limit": 2, "cooldown_seconds": 0}})
    assert await policy_values(policies, GUILD) == {"daily_limit": 2, "cooldown_seconds": 0}
    assert await policy_values(policies, 0) == {} and await policy_values(None, GUILD) == {}
