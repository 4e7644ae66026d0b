"""The one neutral embed of a context reply, and the persistent Helpful / Not helpful buttons.

Everything echoed from members or from sources is escaped (markdown, mentions); messages are sent with
``AllowedMentions.none()``. The wording never says true or false: the items are "sources that may be
relevant", a publisher's rating is quoted with its attribution, and the footer says it is not a verdict.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.sources.models import NO_RESULTS_TEXT, ContextResult, Source
from cogs.context.service import context_service

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

log = logging.getLogger(__name__)

TITLE = "Sources that may be relevant"
FOOTER = "Automated matches from this server's configured sources; not a verdict"
COLOUR = discord.Colour.light_grey()
FEEDBACK_TEMPLATE = r"warden:ctx:fb:(?P<request_id>[0-9]{1,18}):(?P<helpful>[01])"


def safe(text: str, limit: int) -> str:
    """Text from members or sources, safe to show: one line, truncated, markdown escaped, no pings."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def link_text(text: str, limit: int = 200) -> str:
    """A title fit for ``[title](url)``: escaped, and no brackets to break the link."""
    return safe(text.replace("[", "(").replace("]", ")"), limit)


def safe_url(url: str) -> str:
    return (
        url.replace(" ", "%20")
        .replace("(", "%28")
        .replace(")", "%29")
        .replace(">", "%3E")
        .replace("<", "%3C")
    )


def item_field(source: Source) -> tuple[str, str]:
    """(field name, field value) for one source: kind · domain · date, linked title, quoted rating."""
    head = " · ".join(
        part for part in (str(source.kind), source.domain or "local", source.date or "") if part
    )
    lines = [
        f"[{link_text(source.title)}]({safe_url(source.url)})"
        if source.url.startswith("http")
        else link_text(source.title)
    ]
    if source.rating:
        who = source.rating_author or source.domain or "the publisher"
        lines.append(f"Rated “{safe(source.rating, 80)}” by {safe(who, 80)}")
        if source.claim_reviewed:
            lines.append(f"Claim reviewed: “{safe(source.claim_reviewed, 160)}”")
    elif source.snippet:
        lines.append(f"> {safe(source.snippet, 180)}")
    return safe(head, 250), "\n".join(lines)[:1024]


def context_embed(
    result: ContextResult, *, asked_by: int | None = None, askers: int | None = None
) -> discord.Embed:
    """The reply: the searched sentence, then each item (or "No related items found ...")."""
    embed = discord.Embed(title=TITLE, colour=COLOUR)
    desc = f"**Searched:** “{safe(result.claim, 300)}”"
    if result.empty:
        desc += f"\n\n{NO_RESULTS_TEXT}."
    embed.description = desc
    for source in result.sources:
        name, value = item_field(source)
        embed.add_field(name=name, value=value, inline=False)
    footer = FOOTER
    if askers and askers > 1:
        footer += f" · requested by {askers} members"
    embed.set_footer(text=footer)
    return embed


def feedback_custom_id(request_id: int, helpful: bool) -> str:
    return f"warden:ctx:fb:{request_id}:{int(helpful)}"


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=FEEDBACK_TEMPLATE):
    """Helpful / Not helpful on a context reply; persistent (the custom id carries the request)."""

    def __init__(self, request_id: int, helpful: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                style=discord.ButtonStyle.secondary,
                custom_id=feedback_custom_id(request_id, helpful),
            )
        )
        self.request_id = request_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(int(match["request_id"]), match["helpful"] == "1")

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: WardenBot = interaction.client  # type: ignore[assignment]  # Warden's interactions come from its bot
        service = context_service(bot.services)
        stored = False
        if service is not None:
            stored = await service.record_feedback(self.request_id, interaction.user.id, self.helpful)
        text = "Thanks, your feedback was recorded." if stored else "That reply is no longer on record."
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


def feedback_view(request_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(FeedbackButton(request_id, True))
    view.add_item(FeedbackButton(request_id, False))
    return view
