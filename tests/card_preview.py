"""A queue card as Discord would draw it, in plain HTML, for a headless-browser screenshot.

Renders :class:`bot.moderation.queue_cards.EntryCard` (the exact text the bot sends) with the little
markdown a card uses: ``**bold**``, code blocks, backslash escapes, ``<@id>``/``<#id>`` mentions and
``[text](link)``. Dark theme, like the Discord client. Test and documentation use only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from bot.moderation.queue_cards import EntryCard

_BUTTON_STYLES = {"approve": "#248046", "delete": "#da373c", "ban": "#da373c"}


def _inline(text: str, names: Mapping[int, str]) -> str:
    escaped: list[str] = []

    def hold(match: re.Match[str]) -> str:  # a backslash-escaped character is shown as itself
        escaped.append(match.group(1))
        return f"\ue000{len(escaped) - 1}\ue001"

    out = html.escape(re.sub(r"\\([\\*_~`|>#\-\[\]()<])", hold, text), quote=False)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    member = lambda m: f'<span class="m">@{names.get(int(m.group(1)), "member")}</span>'  # noqa: E731
    channel = lambda m: f'<span class="m">#{names.get(int(m.group(1)), "channel")}</span>'  # noqa: E731
    out = re.sub(r"&lt;@!?(\d+)&gt;", member, out)
    out = re.sub(r"&lt;#(\d+)&gt;", channel, out)
    out = re.sub(r"\[([^\]]+)\]\([^)]*\)", r'<span class="l">\1</span>', out)
    out = re.sub("\ue000(\\d+)\ue001", lambda m: html.escape(escaped[int(m.group(1))]), out)
    return out.replace("\n", "<br>")


def _value(text: str, names: Mapping[int, str]) -> str:
    blocks = re.split(r"```\n?(.*?)\n?```", text, flags=re.DOTALL)
    parts = []
    for index, block in enumerate(blocks):
        if index % 2:
            parts.append(f"<pre>{html.escape(block)}</pre>")
        elif block:
            parts.append(_inline(block, names))
    return "".join(parts)


def card_html(card: EntryCard, names: Mapping[int, str], *, colour: str = "#e67e22") -> str:
    """A whole page showing ``card`` (``names``: display names for the ids it mentions)."""
    fields = "".join(
        f'<div class="f{" i" if field.inline else ""}"><div class="n">{html.escape(field.name)}</div>'
        f'<div class="v">{_value(field.value, names)}</div></div>'
        for field in card.fields
    )
    buttons = "".join(
        f'<span class="b" style="background:{_BUTTON_STYLES.get(action.value, "#4e5058")}">'
        f"{html.escape(action.value.replace('_', ' ').title())}</span>"
        for action in card.actions
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{{background:#313338;color:#dbdee1;font:15px/1.375 "gg sans","Noto Sans",system-ui,sans-serif;margin:0;
padding:18px 20px}}.e{{max-width:520px;background:#2b2d31;border-left:4px solid {colour};border-radius:4px;
padding:10px 16px 14px 12px}}.t{{font-weight:600;color:#f2f3f5;margin:4px 0 8px}}.d{{margin-bottom:8px}}
.fs{{display:flex;flex-wrap:wrap;gap:8px 18px}}.f{{flex:1 1 100%}}.f.i{{flex:0 1 auto;min-width:120px}}
.n{{font-weight:600;font-size:14px;color:#f2f3f5;margin-bottom:2px}}.v{{font-size:14px}}
pre{{background:#1e1f22;border:1px solid #1a1b1e;border-radius:4px;padding:7px;margin:2px 0;
font:13px/1.35 "DejaVu Sans Mono",monospace;color:#dbdee1}}.m{{background:#3c4270;color:#c9cdfb;
border-radius:3px;padding:0 2px}}.l{{color:#00a8fc}}.ft{{font-size:12px;color:#b5bac1;margin-top:8px}}
.bs{{margin-top:8px;display:flex;gap:8px}}.b{{color:#fff;border-radius:3px;padding:3px 14px;font-size:14px}}
</style></head><body><div class="e"><div class="t">{html.escape(card.title)}</div>
<div class="d">{_inline(card.description, names)}</div><div class="fs">{fields}</div>
<div class="ft">{html.escape(card.footer)}</div></div><div class="bs">{buttons}</div></body></html>"""
