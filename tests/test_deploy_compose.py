"""docker-compose.yml mirrors what the tests start: PostgreSQL 15 and bot processes whose shard settings
pass the start-up validation and split the shards between them, each shard owned once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings
from bot.sharding import owns_guild
from tests.conftest import REPO_ROOT

COMPOSE = REPO_ROOT / "docker-compose.yml"


def substituted(value: str) -> str:
    """``${NAME:?message}`` / ``${NAME}`` as compose fills them, with a stand-in value."""
    return re.sub(r"\$\{(\w+)(:\?[^}]*)?\}", lambda match: f"<{match.group(1)}>", value)


def bot_services(compose: dict[str, Any]) -> dict[str, Settings]:
    out: dict[str, Settings] = {}
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        if "WARDEN_SHARD_IDS" in environment:
            env = {key: substituted(str(value)) for key, value in environment.items()}
            out[name] = Settings.from_env({"DISCORD_TOKEN": "x", **env})
    return out


def test_the_compose_file_runs_postgres_and_two_processes_over_disjoint_shards() -> None:
    compose = yaml.safe_load(Path(COMPOSE).read_text(encoding="utf-8"))
    assert compose["services"]["postgres"]["image"] == "postgres:15"  # the tests' PostgreSQL
    bots = bot_services(compose)
    assert len(bots) == 2
    scopes = [settings.shards for settings in bots.values()]
    assert {scope.count for scope in scopes} == {2}
    assert sorted(shard for scope in scopes for shard in scope.ids) == [0, 1]  # each shard once
    assert [scope.primary for scope in scopes].count(True) == 1  # one process syncs the commands
    urls = {settings.database_url.get_secret_value() for settings in bots.values() if settings.database_url}
    (url,) = urls  # one database for both
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    for guild in (0, 1 << 22, 2 << 22, 197038439483310086):
        assert sum(owns_guild(guild, scope.count, scope.ids) for scope in scopes) == 1
    for service in bots:
        assert compose["services"][service]["depends_on"]["postgres"]["condition"] == "service_healthy"
