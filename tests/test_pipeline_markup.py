"""Discord markup, mentions, emoji, timestamps and URLs."""

from __future__ import annotations

import pytest

from bot.pipeline import normalize, prepare, strip_markup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("**bold** text", "bold text"),
        ("*italic* and _also_", "italic and also"),
        ("***both***", "both"),
        ("__underline__", "underline"),
        ("~~strike~~ this", "strike this"),
        ("||spoiler idiot||", "spoiler idiot"),
        ("`inline code`", "inline code"),
        ("```\nfenced block\n```", "fenced block"),
        ("```python\nprint('hi')\n```", "print('hi')"),
        ("```idiot```", "idiot"),
        ("> quoted line", "quoted line"),
        (">>> multi\nline quote", "multi\nline quote"),
        ("# Header", "Header"),
        ("### Small header", "Small header"),
        ("-# subtext", "subtext"),
        ("[click here](https://example.com)", "click here"),
        ("[click](<https://example.com>)", "click"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("2 * 3 = 6", "2 * 3 = 6"),
        (r"\*not italic\*", "*not italic*"),
    ],
)
def test_markup_is_stripped_and_text_kept(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_mentions_are_removed_and_user_ids_kept_in_order() -> None:
    prepared = prepare("<@123> and <@!456> and <@123> are idiots, says <@&789> in <#42>")
    assert prepared.text == "and and are idiots, says in"
    assert prepared.mentions == (123, 456)


def test_everyone_and_here_are_removed() -> None:
    assert normalize("@everyone look @here now") == "look now"
    assert normalize("mail me@here.com") == "mail me@here.com"


def test_custom_emoji_and_timestamps_are_removed() -> None:
    text = "nice <:pepe:123456789> <a:wave:987654321> at <t:1700000000> or <t:1700000000:R>"
    assert normalize(text) == "nice at or"


def test_unicode_emoji_are_kept() -> None:
    assert normalize("great job 👍 😀") == "great job 👍 😀"
    # skin tone modifier and ZWJ sequences survive as emoji (the joiner itself is invisible)
    assert "👍🏽" in normalize("ok 👍🏽")


def test_slash_command_mentions_are_removed() -> None:
    assert normalize("use </ban:123456> please") == "use please"


def test_urls_are_removed_from_text_but_kept_in_order_deduplicated() -> None:
    prepared = prepare(
        "see [this](https://a.example/x) and https://b.example/y?q=1. "
        "Also <https://c.example/z>, www.d.example/w and https://a.example/x again"
    )
    assert prepared.urls == (
        "https://a.example/x",
        "https://b.example/y?q=1",
        "https://c.example/z",
        "www.d.example/w",
    )
    assert "http" not in prepared.text
    assert "example" not in prepared.text
    assert prepared.text.startswith("see this and")


def test_url_with_balanced_parentheses_and_trailing_punctuation() -> None:
    prepared = prepare("read https://en.wikipedia.org/wiki/F-35_(aircraft)! and (https://x.example/a).")
    assert prepared.urls == ("https://en.wikipedia.org/wiki/F-35_(aircraft)", "https://x.example/a")


def test_url_underscores_are_not_markup() -> None:
    prepared = prepare("https://x.example/_a_b_ is _fine_")
    assert prepared.urls == ("https://x.example/_a_b_",)
    assert prepared.text == "is fine"


def test_url_only_message_is_empty_but_keeps_url() -> None:
    prepared = prepare("https://only.example/path")
    assert prepared.is_empty
    assert prepared.chunks == ()
    assert prepared.urls == ("https://only.example/path",)


def test_strip_markup_reports_everything() -> None:
    result = strip_markup("**hi** <@7> https://x.example")
    assert result.urls == ("https://x.example",)
    assert result.mentions == (7,)
    assert "hi" in result.text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("**bold** and *it* and ***both***", "bold and it and both"),
        ("*f*ck*", "fuck"),  # outer pair is emphasis, inner star is a mask
        ("f***", "fuck"),  # unpaired closing-looking run is a mask, not markup
        ("a **lonely opener", "a **lonely opener"),
        ("__init__ and _x_", "init and x"),
    ],
)
def test_only_paired_emphasis_is_removed(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
