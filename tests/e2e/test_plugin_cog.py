"""A deployment cog loaded by module path receives every decision (the documented plug-in point)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.events import DecisionEvent
from tests.e2e.conftest import CLEAN, INSULT, World

PLUGIN = "examples.cogs.decision_logger"


@pytest.fixture
def warden_extra_cogs() -> list[str]:
    return [PLUGIN]


async def test_example_plugin_receives_every_decision(world: World, tmp_path, monkeypatch) -> None:
    cog: Any = world.bot.get_cog("DecisionLogger")  # the plug-in's class, loaded by module name
    assert cog is not None, "the plug-in was not loaded from WARDEN_EXTRA_COGS"
    assert PLUGIN in world.bot.extensions
    cog.path = tmp_path / "decisions.jsonl"

    clean = await world.bob.send(world.news, CLEAN)
    toxic = await world.alice.send(world.news, INSULT)

    events = list(cog.received)
    assert [event.message_id for event in events] == [clean.id, toxic.id]
    assert all(isinstance(event, DecisionEvent) for event in events)
    last = events[-1]
    assert last.guild_id == world.guild.id and last.channel_id == world.news.id
    assert last.author_id == world.alice.id and last.jump_url.endswith(f"/{toxic.id}")
    assert last.action == "warn" and last.decision["labels"]
    assert set(last.scores) == {
        "toxicity",
        "severe_toxicity",
        "obscene",
        "threat",
        "insult",
        "identity_attack",
    }
    assert last.backend == world.bot.services.backend_name
    assert last.model_version == world.bot.services.model_version
    assert last.dry_run is False and last.edited is False
    lines = [json.loads(line) for line in cog.path.read_text().splitlines()]
    assert [line["message_id"] for line in lines] == [clean.id, toxic.id]
    assert "content" not in lines[0]


async def test_plugin_sees_edits_and_dry_run(world: World) -> None:
    cog: Any = world.bot.get_cog("DecisionLogger")
    await world.set_policy(dry_run=True)
    message = await world.alice.send(world.news, CLEAN)
    await world.alice.edit(message, INSULT)

    edited = list(cog.received)[-1]
    assert edited.edited is True and edited.dry_run is True and edited.action == "warn"


async def test_plugin_can_be_switched_off_per_server(world: World) -> None:
    result = await world.admin.slash(world.news, "warden cog", action="disable", name="decision_logger")
    assert "off" in result.response.content

    await world.alice.send(world.news, INSULT)

    assert list(world.bot.get_cog("DecisionLogger").received) == []


async def test_forget_reaches_the_plugin(world: World, tmp_path) -> None:
    cog: Any = world.bot.get_cog("DecisionLogger")
    cog.path = tmp_path / "decisions.jsonl"
    await world.alice.send(world.news, CLEAN)
    bobs = await world.bob.send(world.news, CLEAN)
    await world.alice.send(world.news, INSULT)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    assert "- decision_logger: 2 logged decision(s)" in result.response.content.splitlines()
    lines = [json.loads(line) for line in cog.path.read_text().splitlines()]
    assert [line["message_id"] for line in lines] == [bobs.id]
    assert [event.message_id for event in cog.received] == [bobs.id]


async def test_forget_reaches_the_plugin_without_a_file(world: World) -> None:
    cog: Any = world.bot.get_cog("DecisionLogger")
    await world.alice.send(world.news, CLEAN)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    assert "- decision_logger: 1 logged decision(s)" in result.response.content.splitlines()
    assert list(cog.received) == []


def test_the_documented_example_is_the_shipped_one() -> None:
    root = Path(__file__).resolve().parents[2]
    source = (root / "examples" / "cogs" / "decision_logger.py").read_text()
    code = source[source.index('"""', 3) + 3 :].lstrip("\n")
    assert f"```python\n{code}```" in (root / "docs" / "writing-a-cog.md").read_text()
