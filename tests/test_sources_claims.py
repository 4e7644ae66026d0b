"""Claim picking on real sentences from the seed thread (read through the ``seed_thread`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sources.claims import pick_claim, score_sentence, split_sentences


@pytest.fixture
def lines(seed_thread: Path) -> list[str]:
    return [ln for ln in seed_thread.read_text(encoding="utf-8").splitlines() if ln.strip()]


def line_with(lines: list[str], *needles: str) -> str:
    for line in lines:
        if all(n in line for n in needles):
            return line
    pytest.skip(f"no line with {needles} in the seed thread")


def test_numbers_and_names_win_in_a_long_message(lines: list[str]) -> None:
    message = line_with(lines, "54", "2019", "S300")
    pick = pick_claim(message)
    assert "54" in pick.text and "2019" in pick.text
    assert "dreaming" not in pick.text  # the rhetorical sentence is not searched


def test_aircraft_loss_claim_is_picked_from_a_long_reply(lines: list[str]) -> None:
    message = line_with(lines, "F35", "Israel has lost")
    assert len(split_sentences(message)) >= 4
    pick = pick_claim(message)
    assert "F35" in pick.text and "lost" in pick.text
    assert len(pick.picked) <= 2


def test_spoofing_claim_is_picked(lines: list[str]) -> None:
    message = line_with(lines, "spoof all satellite navigation")
    pick = pick_claim(message)
    assert "spoof" in pick.text or "Finnish" in pick.text
    assert "GARMIN" not in pick.text  # personal anecdote ranks lower


def test_questions_and_opinion_rank_low(lines: list[str]) -> None:
    question = next(ln for ln in lines if ln.rstrip().endswith("?"))
    opinion = line_with(lines, "I think")
    claim = line_with(lines, "54", "2019")
    best_claim = max(score_sentence(s) for s in split_sentences(claim))
    assert score_sentence(question) < best_claim
    assert max(score_sentence(s) for s in split_sentences(opinion)) < best_claim
    assert score_sentence("Is Putin going to Tehran next?") < score_sentence("Putin went to Tehran in 2007.")


def test_short_text_is_searched_whole() -> None:
    assert pick_claim("Israel has lost 2 F16s and 1 F35").text == "Israel has lost 2 F16s and 1 F35"
    assert pick_claim("   ").text == ""


def test_at_most_two_sentences_in_message_order() -> None:
    text = (
        "I love this site. Russia delivered 4 S-300 batteries to Syria in 2018. What a day! "
        "Israel carried out 200 strikes in Syria in 2017 and 2018, the IDF said."
    )
    pick = pick_claim(text)
    assert pick.text.index("S-300") < pick.text.index("IDF")
    assert "love" not in pick.text and "What a day" not in pick.text
