"""Draw docs/images/trends-report.png from a demo database built by the real pipeline.

The example thread (examples/thread.jsonl) is replayed into a fresh database once per day for two
weeks (``warden replay --db``: scored, decided and queued as the bot would), each copy shifted by a
day; then a seeded random moderator resolves most queue entries (approving about a fifth as false
positives) a few hours later, and ``warden report --png`` draws the chart. Nothing here is made up
but the moderators' verdicts and the dates.

Run from the repository root: ``.venv/bin/python docs/images/trends_demo.py``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from bot.storage.database import Database
from bot.storage.queue import QueueRepository, Resolution

ROOT = Path(__file__).resolve().parents[2]
THREAD = ROOT / "examples" / "thread.jsonl"
OUT = ROOT / "docs" / "images" / "trends-report.png"
DAYS = 14
WARDEN = (sys.executable, "-m", "bot.cli")
MODERATOR = 4242
VERDICTS = [Resolution.APPROVED] * 2 + [Resolution.DELETED] * 4 + [Resolution.WARNED] * 3
VERDICTS.append(Resolution.TIMED_OUT)


def shifted(lines: list[dict], days: int) -> str:
    """The thread as JSON lines, every timestamp moved ``days`` later."""
    out = []
    for line in lines:
        moved = dict(line)
        when = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")) + timedelta(days=days)
        moved["timestamp"] = when.isoformat().replace("+00:00", "Z")
        out.append(json.dumps(moved))
    return "\n".join(out) + "\n"


def main() -> None:
    """Build the demo database in a temporary folder and draw the chart."""
    lines = [json.loads(line) for line in THREAD.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "demo.db"
        for day in range(DAYS):
            thread = Path(tmp) / f"day{day}.jsonl"
            thread.write_text(shifted(lines, day), encoding="utf-8")
            subprocess.run(
                [*WARDEN, "replay", str(thread), "--db", str(db_path), "--no-evidence"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        database = Database(db_path)
        try:
            queue = QueueRepository(database)
            for entry in queue.list_open(1):
                if rng.random() < 0.85:
                    later = entry.created_at + timedelta(hours=rng.uniform(0.2, 9))
                    queue.resolve(entry, MODERATOR, rng.choice(VERDICTS), now=later)
        finally:
            database.close()
        subprocess.run(
            [*WARDEN, "report", "--db", str(db_path), "--png", str(OUT), "--days", str(DAYS)],
            check=True,
        )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
