"""The context feature's settings: ``WARDEN_CONTEXT_CONFIG``/``--config`` files, strict values, and
errors that name the file and the key in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.context_settings import ContextConfigError, ContextSettings, load_context_file
from bot.settings import ENV_CONTEXT_CONFIG as ENV_CONFIG
from bot.settings import context_from_env as settings_from_env
from bot.sources import coerce_settings


def write(tmp_path: Path, content: str | bytes, name: str = "context.toml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        ("[context]\nmax_items = true\n", "context.max_items", "must be an integer (got True)"),
        ('[context]\nsemantic = "yes"\n', "context.semantic", "must be true or false (got 'yes')"),
        ("[context]\nallow_private_hosts = 1\n", "context.allow_private_hosts", "must be true or false"),
        ('[context]\ndaily_limit = "5"\n', "context.daily_limit", "must be an integer (got '5')"),
        ('[context]\nmin_score = "0.4"\n', "context.min_score", "must be a number (got '0.4')"),
        ("[context]\nmax_items = 50\n", "context.max_items", "must be <= 10 (got 50)"),
        ("[context]\nrrf_k = -1\n", "context.rrf_k", "must be >= 0 (got -1)"),
        ("[context]\nmax_itmes = 5\n", "context.max_itmes", "unknown key"),
        ("[context.wikipedia]\nenabled = 'true'\n", "context.wikipedia.enabled", "must be true or false"),
        ("[context.gdelt]\nburst = 1.5\n", "context.gdelt.burst", "must be an integer (got 1.5)"),
        ("context = 5\n", "context", "must be a table (got int)"),
        ("max_items = true\n", "max_items", "must be an integer (got True)"),  # no [context]: the file is it
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path: Path, toml: str, key: str, message: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ContextConfigError) as caught:
        load_context_file(path)
    error = caught.value
    assert key in error.keys
    assert str(error).startswith(f"{path}: ") and f"{key}: {message}" in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"[context]\nuser_agent = 'caf\xe9'\n", "is not UTF-8 text (byte 27)"),
        (b"[context\n", "not valid TOML"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(ContextConfigError) as caught:
        load_context_file(path)
    assert str(caught.value).startswith(f"{path}: ") and fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ContextConfigError, match=r"nope\.toml: cannot read"):
        load_context_file(tmp_path / "nope.toml")
    with pytest.raises(ContextConfigError, match=r": cannot read"):
        load_context_file(tmp_path)


def test_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf[context]\nmax_items = 3\nsemantic = false\n")
    settings = load_context_file(path)
    assert settings.max_items == 3 and settings.semantic is False


def test_real_values_load_and_an_integer_is_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, "[context]\nmin_score = 1\nfetch_timeout_s = 5\n")
    settings = load_context_file(path)
    assert settings.min_score == 1.0 and settings.fetch_timeout_s == 5.0


def test_a_provider_table_is_merged_over_its_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "[context.gdelt]\nenabled = true\n[context.wikipedia]\nmax_results = 3\n")
    settings = load_context_file(path)
    assert settings.gdelt.enabled and settings.gdelt.base_url == "https://api.gdeltproject.org"
    assert settings.gdelt.rate_per_s == 0.2 and settings.gdelt.burst == 1  # GDELT's own limits kept
    assert settings.wikipedia.max_results == 3 and not settings.wikipedia.enabled


def test_the_environment_names_the_variable_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[context]\nmax_items = true\n")
    with pytest.raises(ContextConfigError) as caught:
        settings_from_env({ENV_CONFIG: str(path)})
    assert str(caught.value) == f"{ENV_CONFIG}: {path}: context.max_items: must be an integer (got True)"


def test_unknown_provider_switch_is_named() -> None:
    with pytest.raises(ContextConfigError, match=r"WARDEN_CONTEXT_PROVIDERS: unknown provider 'wikipedai'"):
        settings_from_env({"WARDEN_CONTEXT_PROVIDERS": "wikipedai,gdelt"})


def test_the_environment_still_switches_providers_on(tmp_path: Path) -> None:
    path = write(tmp_path, "[context]\nmax_items = 4\n")
    settings = settings_from_env(
        {
            ENV_CONFIG: str(path),
            "WARDEN_CONTEXT_PROVIDERS": " Wikipedia , gdelt",
            "WARDEN_FACTCHECK_API_KEY": "k",
        }
    )
    assert settings.max_items == 4
    assert settings.wikipedia.enabled and settings.gdelt.enabled and settings.factcheck.enabled
    assert settings.factcheck.api_key is not None and settings.factcheck.api_key.get_secret_value() == "k"
    assert settings_from_env({}) == ContextSettings()


def test_mappings_handed_to_the_service_are_validated_by_key() -> None:
    assert coerce_settings({"context": {"max_items": 2}}).max_items == 2
    with pytest.raises(ContextConfigError, match=r"context\.semantic: must be true or false"):
        coerce_settings({"context": {"semantic": "no"}})
