"""Insults that address nobody in the conversation (jeers at public figures) are capped by policy."""

from __future__ import annotations

import pytest

from bot.pipeline import prepare
from bot.pipeline.address import addresses_someone
from bot.policy import evaluate, load_default_policy
from bot.policy.decision import Action
from bot.scoring.base import Scores


@pytest.mark.parametrize(
    "text",
    [
        "marta you are a complete idiot",
        "Shut up, nobody asked YOU",
        "your argument is moronic",
        "y'all are clowns",
        "u r an idiot",
    ],
)
def test_second_person_addresses_someone(text: str) -> None:
    assert addresses_someone(text)


@pytest.mark.parametrize(
    "text",
    [
        "The energy minister is a clown and a liar",
        "Trump and his idiot advisors",
        "Youth unemployment rose to 14% in the union",
        "The U.S. embassy in Damascus",
        "Marguerite Yourcenar wrote that",
    ],
)
def test_third_person_does_not(text: str) -> None:
    assert not addresses_someone(text)


def test_a_mention_addresses_someone() -> None:
    assert prepare("<@123456789012345678> is a clown").addressed
    assert not prepare("the minister is a clown").addressed


INSULT = Scores(toxicity=0.9, insult=0.95)


def test_addressed_insult_warns_unaddressed_is_logged() -> None:
    policy = load_default_policy()
    direct = evaluate(INSULT, policy, addressed=True)
    jeer = evaluate(INSULT, policy, addressed=False)
    unknown = evaluate(INSULT, policy)
    assert direct.action is Action.WARN
    assert unknown.action is Action.WARN
    assert jeer.action is Action.LOG
    assert "addresses nobody" in jeer.reason
    assert jeer.labels == direct.labels


def test_the_cap_never_touches_identity_attacks_or_threats() -> None:
    policy = load_default_policy()
    attack = Scores(toxicity=0.95, identity_attack=0.9, insult=0.9)
    assert evaluate(attack, policy, addressed=False).action is Action.QUEUE
    threat = Scores(toxicity=0.9, threat=0.9)
    assert evaluate(threat, policy, addressed=False).action is Action.QUEUE


def test_servers_can_treat_jeers_like_direct_insults() -> None:
    policy = load_default_policy().merged({"unaddressed_insults": "warn"})
    assert evaluate(INSULT, policy, addressed=False).action is Action.WARN


def test_unaddressed_insults_are_not_escalated() -> None:
    from datetime import UTC, datetime

    from bot.policy import AuthorHistory

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    history = AuthorHistory(warnings=[now, now])
    assert (
        evaluate(INSULT, load_default_policy(), history=history, now=now, addressed=False).action
        is Action.LOG
    )


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("You are right, Trump is an idiot.", False),
        ("lol you nailed it, Biden is senile and stupid", False),
        ("Good point. The senator is a complete moron.", False),
        ("Shut up, you stupid cow, nobody asked you.", True),
        ("Shut up, you st.u.p.i.d cow, nobody asked you.", True),
        ("whatever, you all are a bunch of brainless idiots", True),
        ("Idiots like the moron you are conversing with do not recognize bravery", True),
        ("Thanks, you made my day", True),  # no insult word: the second person decides
        # one clause: the party named nearest the insult decides, not any "you" in it
        ("If you ask me the senator is a moron", False),
        ("If you ask me Trump is a moron", False),
        ("the senator thinks you are an idiot", True),
        ("You are the moron here", True),
        ("Stupid is what you are", True),
        # a third party competes with "you" only as the subject of a verb
        ("you are the real idiot", True),
        ("You're the biggest idiot I know", True),
        ("You Are An Idiot", True),
        ("you Americans are all morons", True),  # who "you" are, not a third party
        ("you Trump supporters are idiots", True),
        ("Dave is a moron you know", False),
        ("I told you the ref is an idiot", False),
        ("I told you he's an idiot", False),
    ],
)
def test_the_clause_holding_the_insult_decides(text: str, addressed: bool) -> None:
    assert addresses_someone(text) is addressed


def test_a_reply_addresses_its_target_unless_the_insult_is_about_someone_else() -> None:
    assert addresses_someone("what a pathetic take", is_reply=True) is True
    assert addresses_someone("What an idiot", is_reply=True) is True
    assert addresses_someone("what a pathetic take") is False
    assert addresses_someone("the minister is a clown", is_reply=True) is False
    assert addresses_someone("Trump is an idiot", is_reply=True) is False
    assert addresses_someone("his advisors are morons", is_reply=True) is False
    assert addresses_someone("he's an idiot", is_reply=True) is False
    assert addresses_someone("Don't be such an idiot", is_reply=True) is True


@pytest.mark.parametrize(
    "text",
    [
        "They don't need a commercial code to use someone's satellite signal. Dumbass.",
        "Idiot!",
        "You clearly never read the treaty. Absolute moron.",
        "Nobody said that, stop inventing quotes.\nStupid clown!!",
    ],
)
def test_a_closing_bare_vocative_insult_addresses_the_reader(text: str) -> None:
    assert addresses_someone(text)


@pytest.mark.parametrize(
    "text",
    [
        "Putin flew to Damascus again. What an idiot.",
        "The ministry's plan failed within a week. Pathetic.",
        "Assad thanked Moscow once more. Puppet!",
        "Dumbass comments from the senator again",
    ],
)
def test_a_closing_jeer_or_adjective_is_not_a_vocative(text: str) -> None:
    assert not addresses_someone(text)


@pytest.mark.parametrize("text", ["y0u are an idiot", "youuuu moron", "yu clown", "YOOOU are a liar"])
def test_a_disguised_second_person_still_counts(text: str) -> None:
    assert addresses_someone(text)


def test_a_bare_vocative_check_reads_only_the_tail() -> None:
    long = "word " * 20000 + ". Idiot."
    assert addresses_someone(long)
    assert not addresses_someone("Idiot. " + "the weather is fine " * 5000)
