"""Sentences written for model 2.0, in a news-comment register, for what model 1.1 got wrong.

Negatives (all six labels 0): counter-speech that rejects a hateful claim, reporting or quoting hate in
order to condemn it, neutral and warm mentions of groups in the news, harsh political criticism, war
reporting. Positives: dehumanising and exclusionary statements about peoples and groups without slurs,
and a bare insult closing a reply. None of this copies a HateCheck template: the frames are longer,
name a source or a context, and the claims are phrased in our own words.
"""

from __future__ import annotations

import random

from training.templates import IDENTITIES

NEWS_GROUPS = [
    "Syrians",
    "Russians",
    "Ukrainians",
    "Israelis",
    "Palestinians",
    "Iranians",
    "Kurds",
    "Turks",
    "Arabs",
    "Jews",
    "Muslims",
    "Christians",
    "refugees",
    "migrants",
    "Africans",
    "Chinese people",
    "Americans",
    "Europeans",
]

# Hostile claims about a group, in our own words (no slurs): what counter-speech quotes and rejects.
CLAIMS = [
    "{P} are savages who only understand force",
    "{P} are a cancer eating this region",
    "{P} should be driven out of the country",
    "{P} are thieves and liars by nature",
    "{P} secretly pull the strings of every government",
    "{P} are not really human",
    "{P} breed crime wherever they settle",
    "the world would be better off without {P}",
    "{P} have no place in a civilised nation",
    "{P} are vermin that need to be cleared out",
]

COUNTER = [
    "Whoever keeps repeating that {claim} should read some history before posting again.",
    "No, {claim} is not an opinion, it is bigotry, and it has no place in this thread.",
    "I keep seeing people here claim that {claim}. It is false, and it is the rhetoric of every pogrom.",
    "The report shows how the militia's leaflets said {claim}, and how that language preceded the killings.",
    "My neighbours are {P} and the idea that {claim} is insulting nonsense.",
    "Posting that {claim} does not make you edgy, it makes you part of the problem.",
    "The court convicted him for a speech in which he said {claim}; good.",
    "Let's be clear: anyone who thinks {claim} is wrong, and the data in the article shows it.",
    "The article quotes a far-right channel saying {claim}, and then takes that claim apart line by line.",
    "Teachers report pupils repeating online that {claim}, and they are trying to counter it in class.",
    "It is shameful that a sitting MP said {claim}. He should apologise to every one of them.",
    "Historians point out that the claim that {claim} was propaganda then and is propaganda now.",
]

NEUTRAL_GROUP = [
    "{P} in the capital queued for hours to vote in the runoff.",
    "The UN says the number of {P} returning home doubled this year.",
    "A delegation of {P} met the foreign minister on Tuesday.",
    "Several {P} interviewed by the paper said they were cautiously optimistic about the talks.",
    "The survey asked {P} what they expect from the new government.",
    "Many {P} I know have family on both sides of the border.",
    "The festival celebrates the food and music {P} brought to the city.",
    "My colleagues who are {P} helped organise the relief convoy.",
    "{P} have lived in that valley for centuries, the article explains.",
    "Proud to see so many {P} volunteering at the shelter this week.",
    "The museum's new exhibition tells the story of {P} who rebuilt the old quarter.",
    "Grateful for the {P} who took in families fleeing the shelling.",
]

POLITICAL_CRITICISM = [
    "This government has lied about the casualty figures from day one.",
    "The president's visit is a cynical photo opportunity and nothing more.",
    "The minister's plan is incompetent, expensive and will fail like the last one.",
    "Putin props up Assad because it suits Moscow, not because he cares about Syrians.",
    "The regime's propaganda channel is spinning this as a victory again.",
    "Both parties have failed the people of the north for twenty years.",
    "The sanctions have hurt ordinary families far more than the oligarchs.",
    "That senator would sell his own voters out for one more term.",
    "The foreign office response was weak, late and embarrassing.",
    "The army's statement contradicts the footage, and someone should be held to account.",
    "Calling this a peace mission is an insult to everyone who lost their home.",
    "The opposition leader has no plan at all, just slogans.",
]

WAR_REPORTING = [
    "Airstrikes hit the outskirts of the city overnight, killing at least twelve civilians.",
    "The convoy was shelled twice before it reached the border crossing.",
    "Rebels claim to have shot down a helicopter near the airbase.",
    "Witnesses described bodies in the streets after the siege was lifted.",
    "The ceasefire collapsed within hours and artillery fire resumed at dawn.",
    "Human rights groups accuse both sides of executing prisoners.",
    "A car bomb exploded outside the market, the interior ministry said.",
    "The drone strike destroyed a hospital wing, according to local medics.",
    "Thousands fled as troops advanced on the last rebel-held district.",
    "The militia threatened to attack the port if the blockade continued.",
]

DEHUMANISING = [
    "{P} are a disease that spreads through every city they reach.",
    "Honestly {P} are animals, look at how they live.",
    "Every last one of {P} is a thief and a murderer.",
    "{P} are squatting on land that was never theirs, and their time is up.",
    "{P} are parasites feeding off decent people.",
    "Keep {P} out, they bring nothing but crime and filth.",
    "{P} are a lower form of life and everyone knows it.",
    "The only good thing {P} could do is disappear from history.",
]

CLOSING_INSULTS = ["Dumbass.", "Idiot!", "Moron.", "Clown.", "Imbecile.", "Loser.", "Fool.", "Cretin."]
REPLIES = [
    "You clearly did not read the article before commenting.",
    "That is not what the treaty says and you know it.",
    "Nobody said that, stop putting words in people's mouths.",
    "The numbers you posted are from 2015, try again.",
    "You have been wrong about every single thing in this thread.",
]

ZERO = [0.0] * 6
HOSTILE = [1.0, -1.0, -1.0, -1.0, -1.0, 1.0]
INSULT = [1.0, -1.0, -1.0, 0.0, 1.0, 0.0]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def generate(seed: int) -> list[tuple[str, list[float], str]]:
    """The written sentences, expanded over groups (a seeded sample per group, not every combination)."""
    rng = random.Random(seed)
    groups = NEWS_GROUPS + [plural for _, plural in IDENTITIES]
    rows: list[tuple[str, list[float], str]] = []
    for group in groups:
        for frame in rng.sample(COUNTER, 6):
            claim = rng.choice(CLAIMS).format(P=group)
            rows.append((_cap(frame.format(claim=claim, P=group)), list(ZERO), "v2_counter_speech"))
        for frame in rng.sample(NEUTRAL_GROUP, 4):
            rows.append((_cap(frame.format(P=group)), list(ZERO), "v2_neutral_group"))
        for frame in rng.sample(DEHUMANISING, 2):
            rows.append((_cap(frame.format(P=group)), list(HOSTILE), "v2_dehumanising"))
    for text in POLITICAL_CRITICISM + WAR_REPORTING:
        rows.append((text, list(ZERO), "v2_news_clean"))
    for reply in REPLIES:
        rows.append((reply, list(ZERO), "v2_news_clean"))
        for insult in rng.sample(CLOSING_INSULTS, 3):
            rows.append((f"{reply} {insult}", list(INSULT), "v2_closing_insult"))
    return rows
