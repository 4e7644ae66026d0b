"""The context embed: neutral wording, publisher ratings quoted with attribution, everything escaped."""

from __future__ import annotations

from bot.sources.models import NO_RESULTS_TEXT, ContextResult, Source, SourceKind
from cogs.context.render import FOOTER, TITLE, context_embed, feedback_custom_id, item_field


def test_embed_lists_items_with_kind_domain_date_and_attributed_rating() -> None:
    result = ContextResult(
        claim="Israel has lost 2 F16s and 1 F35",
        sources=(
            Source(
                title="Israeli F-16 crashes",
                url="https://news.example/f16",
                kind=SourceKind.ARTICLE,
                date="2018-02-10",
                snippet="An Israeli F-16 crashed",
                score=0.8,
                pinned=True,
            ),
            Source(
                title="No evidence an F-35 was downed",
                url="https://checks.example/f35",
                kind=SourceKind.FACT_CHECK,
                date="2018-05-24",
                rating="False",
                rating_author="Example Checks",
                claim_reviewed="Israel lost an F-35",
                score=0.7,
            ),
        ),
    )
    embed = context_embed(result)
    assert embed.title == TITLE and embed.footer.text == FOOTER
    assert "Israel has lost 2 F16s and 1 F35" in embed.description
    assert embed.fields[0].name == "article · news.example · 2018-02-10"
    assert embed.fields[0].value.startswith("[Israeli F-16 crashes](https://news.example/f16)")
    assert embed.fields[1].name.startswith("fact-check · checks.example")
    assert "Rated “False” by Example Checks" in embed.fields[1].value
    text = " ".join([embed.title or "", embed.footer.text or ""]).lower()
    for verdict in ("true", "false", "misleading", "debunked", "correct"):
        assert verdict not in text


def test_empty_result_says_nothing_found() -> None:
    embed = context_embed(ContextResult(claim="banana bread"))
    assert NO_RESULTS_TEXT in (embed.description or "") and not embed.fields


def test_member_and_source_text_is_escaped() -> None:
    result = ContextResult(
        claim="**bold** @everyone <@123456789012345678> `code` ||spoiler||",
        sources=(
            Source(
                title="A [link](https://evil.example) *title*",
                url="https://x.example/a (b)",
                snippet="_under_ @here",
                score=0.9,
            ),
        ),
    )
    embed = context_embed(result)
    desc = embed.description or ""
    assert "\\*\\*bold\\*\\*" in desc and "@\u200beveryone" in desc and "<@123456789012345678>" not in desc
    _name, value = item_field(result.sources[0])
    assert "](https://evil.example)" not in value.split("](https://x.example")[0]
    assert "https://x.example/a%20%28b%29" in value
    assert "@\u200bhere" in value and "\\_under\\_" in value


def test_feedback_custom_ids_are_persistent_and_bounded() -> None:
    assert feedback_custom_id(42, True) == "warden:ctx:fb:42:1"
    assert len(feedback_custom_id(10**17, False)) <= 100
