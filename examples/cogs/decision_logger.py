"""An example deployment cog: every Warden decision as one JSON line (a log, and optionally a file).

Load it without touching Warden's code::

    WARDEN_EXTRA_COGS=examples.cogs.decision_logger python -m bot

Set ``DECISION_LOG_PATH=/data/decisions.jsonl`` to also append the lines to a file. Admins can switch it
off per server like any built-in feature: ``/warden cog disable decision_logger``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import deque
from pathlib import Path

from discord.ext import commands

from bot.discord_adapter.plugin import DecisionEvent, WardenBot, WardenCog

log = logging.getLogger(__name__)


class DecisionLogger(WardenCog):
    """Listens to ``warden_decision`` and writes each event, without the message text, as JSON."""

    feature = "decision_logger"  # the name for /warden cog enable|disable

    def __init__(self, bot: WardenBot, path: Path | None = None) -> None:
        super().__init__(bot)
        configured = os.environ.get("DECISION_LOG_PATH")
        self.path = path or (Path(configured) if configured else None)
        self.received: deque[DecisionEvent] = deque(maxlen=100)
        """The latest events (for a status command, or a test)."""

    @commands.Cog.listener()
    async def on_warden_decision(self, event: DecisionEvent) -> None:
        """One decision: keep it, log it, append it to the file."""
        if not await self.enabled_in(event.guild_id):  # switched off in this server
            return
        self.received.append(event)
        record = event.to_dict()
        record.pop("content")  # the member's words stay out of this log
        line = json.dumps(record, sort_keys=True)
        log.info("warden decision %s", line)
        if self.path is not None:
            await asyncio.to_thread(self._append, line)  # never block the event loop on disk

    def _append(self, line: str) -> None:
        assert self.path is not None
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


async def setup(bot: WardenBot) -> None:
    """Extension entry point (``bot.load_extension("examples.cogs.decision_logger")``)."""
    await bot.add_cog(DecisionLogger(bot))
