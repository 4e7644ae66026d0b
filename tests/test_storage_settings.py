"""Per-server overrides: validated on write (a bad one is never stored), merged, cached, invalidated."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.policy import Action, PolicyConfigError, load_default_policy
from bot.storage import Database, SettingsRepository

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL


@pytest.fixture
def settings(database: Database) -> SettingsRepository:
    return SettingsRepository(database)


def test_a_new_server_runs_on_the_defaults(settings: SettingsRepository) -> None:
    assert settings.get_overrides(1) == {}
    assert settings.effective(1) == load_default_policy()


def test_overrides_merge_over_defaults(settings: SettingsRepository) -> None:
    effective = settings.set_overrides(1, {"thresholds": {"insult": 0.9}, "exempt_roles": [5]})
    assert effective.thresholds.insult == 0.9
    assert effective.thresholds.threat == load_default_policy().thresholds.threat
    assert settings.effective(1) == effective
    assert settings.effective(2) == load_default_policy()  # other servers unaffected
    assert settings.get_overrides(1) == {"thresholds": {"insult": 0.9}, "exempt_roles": [5]}


def test_bad_override_is_refused_naming_the_key_and_never_stored(settings: SettingsRepository) -> None:
    settings.set_overrides(1, {"dry_run": True})
    with pytest.raises(PolicyConfigError) as caught:
        settings.set_overrides(1, {"thresholds": {"insult": 1.5}})
    assert caught.value.keys == ["thresholds.insult"]
    assert str(caught.value) == "guild 1 settings: thresholds.insult: must be <= 1 (got 1.5)"
    with pytest.raises(PolicyConfigError, match=r"label_actions\.insult\.huge: unknown band"):
        settings.patch_overrides(1, {"label_actions": {"insult": {"huge": "warn"}}})
    with pytest.raises(PolicyConfigError, match=r"channels\.7\.of: unknown key"):
        settings.set_key(1, "channels.7.of", True)
    assert settings.get_overrides(1) == {"dry_run": True}
    assert settings.effective(1).dry_run is True


def test_cache_is_invalidated_on_every_write(settings: SettingsRepository) -> None:
    first = settings.effective(1)
    assert settings.effective(1) is first  # cached
    settings.set_key(1, "dry_run", True)
    second = settings.effective(1)
    assert second.dry_run is True
    settings.patch_overrides(1, {"thresholds": {"threat": 0.4}})
    third = settings.effective(1)
    assert third.dry_run is True and third.thresholds.threat == 0.4
    settings.clear_key(1, "dry_run")
    assert settings.effective(1).dry_run is False
    assert settings.effective(1).thresholds.threat == 0.4
    settings.reset(1)
    assert settings.effective(1) == load_default_policy()
    assert settings.get_overrides(1) == {}


def test_set_key_and_clear_key_with_channel_ids(settings: SettingsRepository) -> None:
    settings.set_key(1, "channels.123.off", True)
    settings.set_key(1, "channels.123.thresholds.insult", 0.95)
    effective = settings.effective(1)
    assert effective.channels[123].off is True
    assert effective.channels[123].thresholds.get("insult") == 0.95
    settings.set_key(1, "label_actions.obscene.high", "warn")
    assert settings.effective(1).label_actions["obscene"]["high"] is Action.WARN
    assert settings.effective(1).label_actions["obscene"]["low"] is Action.LOG  # merged, not replaced
    settings.clear_key(1, "channels.123.off")
    assert settings.effective(1).channels[123].off is False
    settings.clear_key(1, "no.such.key")  # clearing what is not there is a no-op
    with pytest.raises(PolicyConfigError, match="not a valid settings key"):
        settings.set_key(1, "channels..off", True)


def test_overrides_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "warden.db"
    first = Database(path)
    SettingsRepository(first).set_overrides(1, {"channels": {42: {"dry_run": True}}, "queue_channel_id": 9})
    first.close()
    second = Database(path)
    try:
        effective = SettingsRepository(second).effective(1)
        assert effective.channels[42].dry_run is True
        assert effective.queue_channel_id == 9
    finally:
        second.close()


def test_stored_overrides_that_no_longer_validate_fall_back_to_defaults(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with database.transaction() as db:
        db.execute(
            "INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (1, ?, 'x')",
            ['{"label_actions": {"insult": {"extreme": "warn"}}}'],
        )
    with caplog.at_level(logging.ERROR, logger="bot.storage.settings"):
        effective = SettingsRepository(database).effective(1)
    assert effective == load_default_policy()
    assert "stored settings no longer valid" in caplog.text


def test_custom_base_policy(database: Database) -> None:
    base = load_default_policy().merged({"dry_run": True})
    repo = SettingsRepository(database, defaults=base)
    assert repo.effective(1).dry_run is True
    assert repo.set_key(1, "dry_run", False).dry_run is False


async def test_async_effective(database: Database, settings: SettingsRepository) -> None:
    await database.run(settings.set_key, 1, "retention_days", 14)
    assert (await database.run(settings.effective, 1)).retention_days == 14
