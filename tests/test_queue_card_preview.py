"""A queue card with its evidence, drawn from the card text the bot sends, in headless Chromium."""

from __future__ import annotations

import struct
from pathlib import Path

from bot.explain import Evidence
from bot.moderation.queue_cards import entry_card
from tests import browser
from tests.card_preview import card_html
from tests.test_explain_render import entry

NAMES = {30: "oleg.b", 20: "news"}


def card_page() -> str:
    card = entry_card(
        entry(
            excerpt="You are a complete moron if you believe the Kremlin press office.",
            scores={"insult": 0.87, "toxicity": 0.86, "obscene": 0.04},
            labels=("toxicity", "insult"),
            reason="toxicity 0.86 ≥ 0.80 (band: high → log); insult 0.87 ≥ 0.46 (band: high → warn)",
            evidence=(Evidence("moron", "insult", 0.73), Evidence("moron", "toxicity", 0.69)),
        )
    )
    return card_html(card, NAMES)


def test_the_card_shows_its_evidence_in_a_browser(tmp_path: Path) -> None:
    page = tmp_path / "card.html"
    page.write_text(card_page(), encoding="utf-8")

    dom = browser.dump_dom(page.as_uri())
    assert (
        '<div class="n">Evidence</div><div class="v"><b>moron</b> · insult 0.73, toxicity 0.69</div>' in dom
    )

    shot = browser.screenshot(page.as_uri(), browser.ARTIFACTS / "queue-card.png", width=600, height=420)
    data = shot.read_bytes()
    assert struct.unpack(">II", data[16:24]) == (600, 420)
