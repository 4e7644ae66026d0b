"""An example deployment cog: every Warden decision as one JSON line (a log, and optionally a file).

Load it without touching Warden's code::

    WARDEN_EXTRA_COGS=examples.cogs.decision_logger python -m bot

Set ``DECISION_LOG_PATH=/data/decisions.jsonl`` to also append the lines to a file. Admins can switch it
off per server like any built-in feature: ``/warden cog disable decision_logger``. ``/warden forget``
erases a member's decisions from memory and from the file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import deque
from pathlib import Path

from discord.ext import commands

from bot.discord_adapter.plugin import DecisionEvent, ForgetResult, WardenBot, WardenCog

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
        self.file_lock = asyncio.Lock()  # one writer at a time: appends and /warden forget's rewrite

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
            async with self.file_lock:
                await asyncio.to_thread(self._append, line)  # never block the event loop on disk

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult:
        """``/warden forget``: drop the member's decisions from memory and from the file."""
        kept = [e for e in self.received if (e.guild_id, e.author_id) != (guild_id, user_id)]
        erased = len(self.received) - len(kept)
        self.received = deque(kept, maxlen=self.received.maxlen)
        if self.path is not None:  # the file holds every decision: count what left it
            async with self.file_lock:
                erased = await asyncio.to_thread(self._rewrite_without, guild_id, user_id)
        return ForgetResult(erased={"logged decision(s)": erased})

    def _append(self, line: str) -> None:
        assert self.path is not None
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def _rewrite_without(self, guild_id: int, user_id: int) -> int:
        """Rewrite the file without the member's lines (atomically); how many went."""
        assert self.path is not None
        if not self.path.exists():
            return 0
        lines = self.path.read_text(encoding="utf-8").splitlines()
        kept = []
        for line in lines:
            record = json.loads(line)
            if (record["guild_id"], record["author_id"]) != (guild_id, user_id):
                kept.append(line)
        partial = self.path.with_suffix(".tmp")
        partial.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        partial.replace(self.path)
        return len(lines) - len(kept)


async def setup(bot: WardenBot) -> None:
    """Extension entry point (``bot.load_extension("examples.cogs.decision_logger")``)."""
    await bot.add_cog(DecisionLogger(bot))
