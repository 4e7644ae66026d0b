"""Sentences written for Warden (not taken from any eval set) that teach what the sources under-represent.

* neutral and positive sentences that mention identities -> all six labels 0 (identity debiasing);
* hostile sentences about the same identities -> toxicity + identity_attack (so the model learns that the
  predicate, not the identity word, carries the attack);
* threats against people or groups -> toxicity + threat;
* direct insults to another commenter -> toxicity + insult;
* ordinary political disagreement and figurative violence ("this song kills") -> all 0;
* spelling noise on toxic rows (typos, dropped/duplicated letters, joined words) -> same labels.
"""

from __future__ import annotations

import random
import re

PROFANITY_RE = re.compile(
    r"\b(fuck\w*|shit\w*|bitch\w*|cunt\w*|dick\w*|asshole\w*|bastard\w*|whore\w*|slut\w*|retard\w*|idiot\w*|"
    r"moron\w*|stupid|dumb\w*|faggot\w*|nigg\w*|crap\w*|piss\w*|douche\w*|wank\w*|twat\w*|prick\w*|hoe|hoes|"
    r"kill yourself|kys)\b",
    re.IGNORECASE,
)

# identity words as adjectives and as plural nouns, a broad list of our own
IDENTITIES = [
    ("gay", "gay people"),
    ("lesbian", "lesbians"),
    ("bisexual", "bisexual people"),
    ("trans", "trans people"),
    ("transgender", "transgender people"),
    ("queer", "queer people"),
    ("nonbinary", "nonbinary people"),
    ("straight", "straight people"),
    ("black", "black people"),
    ("white", "white people"),
    ("Asian", "Asian people"),
    ("Latino", "Latinos"),
    ("Hispanic", "Hispanic people"),
    ("Mexican", "Mexicans"),
    ("African", "Africans"),
    ("African American", "African Americans"),
    ("Arab", "Arabs"),
    ("Chinese", "Chinese people"),
    ("Indian", "Indians"),
    ("Native American", "Native Americans"),
    ("Jewish", "Jews"),
    ("Muslim", "Muslims"),
    ("Christian", "Christians"),
    ("Catholic", "Catholics"),
    ("Hindu", "Hindus"),
    ("Buddhist", "Buddhists"),
    ("Sikh", "Sikhs"),
    ("atheist", "atheists"),
    ("immigrant", "immigrants"),
    ("refugee", "refugees"),
    ("disabled", "disabled people"),
    ("deaf", "deaf people"),
    ("blind", "blind people"),
    ("elderly", "elderly people"),
    ("young", "young people"),
    ("female", "women"),
    ("male", "men"),
    ("feminist", "feminists"),
    ("homosexual", "homosexuals"),
    ("European", "Europeans"),
    ("American", "Americans"),
    ("Canadian", "Canadians"),
    ("Irish", "Irish people"),
    ("Pakistani", "Pakistanis"),
    ("Nigerian", "Nigerians"),
    ("Roma", "Roma people"),
    ("autistic", "autistic people"),
]
PERSONS = [
    "person",
    "woman",
    "man",
    "teacher",
    "doctor",
    "student",
    "neighbor",
    "friend",
    "nurse",
    "engineer",
    "grandmother",
    "writer",
    "kid",
    "coworker",
]

NEUTRAL_ADJ = [
    "I am {a} {p}.",
    "My {p} is {a}.",
    "She is a {a} {p}.",
    "He is {a} and works as a {p}.",
    "I am a proud {a} {p}.",
    "Being {a} is part of who I am.",
    "My best friend is {a}.",
    "The new {p} on our street is {a}.",
    "As a {a} {p}, I have a different view on this bill.",
    "Our {a} {p} moved here last year.",
    "Is the mayor {a}?",
    "I grew up with a {a} family next door.",
    "{A} {p} here, happy to answer questions.",
    "My cousin is {a} and just got married.",
    "I met a {a} {p} at the conference today.",
    "I'm {a} and I think the article is fair.",
    "I'm {a}.",
    "You are {a}.",
    "Being {a} is fine.",
    "{A}.",
    "A {a} {p} wrote this article.",
]
NEUTRAL_PL = [
    "{P} live in every city.",
    "Many {P} voted in the last election.",
    "{P} are welcome here.",
    "I have a lot of friends who are {P}.",
    "The report looks at how {P} are treated by landlords.",
    "There are {P} in my book club.",
    "{P} have the same rights as everyone else.",
    "The survey asked {P} about housing costs.",
    "Some {P} support the policy and some oppose it.",
    "{P} are my neighbors.",
    "The museum has an exhibit about the history of {P}.",
    "The council met with {P} from the area.",
    "{P} deserve respect.",
    "I love {P}.",
    "{P} are wonderful.",
    "{P} are great people.",
    "We should protect {P} from discrimination.",
    "{P} make our community stronger.",
    "I stand with {P}.",
    "Hate against {P} is wrong.",
    "Attacks on {P} must stop.",
    "Saying {P} are animals is disgusting and false.",
    "{P} are just people like everyone else.",
    "Hug a {a} friend today.",
    "Respect {P}.",
    "I respect {P}.",
    "Thank you to all the {P} who helped.",
    "Our school celebrates {P}.",
]
# Warm, admiring sentences in many phrasings (a sample per identity): praise must not read as an attack
# just because it names a group. Written for Warden.
POSITIVE_PL = [
    "{P} are amazing.",
    "{P} are brilliant.",
    "{P} are fantastic people.",
    "I admire {P} so much.",
    "I really like {P}.",
    "I adore my {a} friends.",
    "So proud of the {P} in our town.",
    "{P} bring so much to this country.",
    "There is nothing wrong with being {a}.",
    "My {a} neighbours are the kindest people I know.",
    "We need more {P} in parliament.",
    "{P} are valued members of our community.",
    "It is great to see {P} on the front page.",
    "{P} are strong and resilient.",
    "Life is better with {P} around.",
    "{P} are some of the smartest people I have met.",
    "Nobody should be treated badly for being {a}.",
    "Let's celebrate {P} this month.",
    "{P} should feel safe here.",
    "Being {a} is something to be proud of.",
    "{P} are lovely.",
    "Honestly, {P} are the best.",
    "I am so glad {P} are finally being heard.",
    "Welcome to all {P}!",
]
POSITIVE_PER_IDENTITY = 12
HOSTILE_PL = [
    "I hate {P}.",
    "{P} are disgusting.",
    "{P} are vermin.",
    "{P} are subhuman.",
    "{P} are a plague.",
    "{P} are filthy animals.",
    "{P} should be wiped out.",
    "Get all the {P} out of this country.",
    "{P} are all criminals and liars.",
    "{P} are ruining everything, send them back.",
    "{P} are parasites.",
    "I can't stand {P}, they are scum.",
    "{P} don't deserve to live.",
    "No {P} allowed, they are trash.",
    "All {P} are stupid.",
    "{P} are a disease on society.",
    "Never trust {P}, they are rats.",
    "{P} are inferior.",
    "{P} are less than human.",
    "Typical {a} scum.",
    "{P} control the banks and the media.",
    "{P} are behind every war, wake up.",
    "{P} breed like cockroaches.",
]
# Hate without slurs or swear words: stereotypes, exclusion, conspiracy, contempt dressed as opinion.
# The sources carry little of it; written for Warden (a sample per identity, toxicity + identity_attack).
IMPLICIT_HOSTILE_PL = [
    "{P} are all the same, lazy and living off handouts.",
    "You can't trust {P} with money.",
    "{P} should go back to where they came from.",
    "I wouldn't let {P} anywhere near my kids.",
    "{P} are taking over our neighbourhoods and nobody does anything.",
    "{P} are violent by nature, it's in their culture.",
    "{P} don't belong in this country.",
    "It is a shame that {P} are allowed to vote.",
    "Everything went downhill when {P} moved in.",
    "{P} only care about themselves and their own kind.",
    "Hiring {P} is asking for trouble.",
    "{P} will never be real citizens, whatever the papers say.",
    "There are simply too many {P} here now.",
    "Honestly the world would be better off with fewer {P}.",
    "{P} are a burden on the rest of us.",
    "Don't be fooled, {P} have their own agenda.",
    "Of course a {a} person would say that.",
    "{P} are not capable of running anything properly.",
    "Keep {P} out of our schools.",
    "{P} are the reason crime is up.",
]
IMPLICIT_PER_IDENTITY = 5
THREATS = [
    "I'm going to kill {t}.",
    "I will find {t} and make {o} pay.",
    "I'm going to hurt {t}.",
    "Someone should shoot {t}.",
    "{T} deserve to be beaten to death.",
    "I will burn down {poss} house.",
    "Watch your back, I know where {t} live.",
    "I'll break {poss} legs.",
    "I hope someone stabs {t}.",
    "{T} will be hanged when the day comes.",
    "I'm coming for {t} with a gun.",
    "Keep talking and I will end {t}.",
    "We should line {t} up against a wall and shoot {o}.",
    "I will slit {poss} throat.",
    "I'm going to beat the crap out of {t}.",
    "{T} should be killed.",
    "Let's go hunt {t} down tonight.",
    "I will make {t} suffer.",
    "Say that again and I'll put {t} in the hospital.",
    "I will murder {t}.",
    "Whoever did this to {t} should be hanged, and I'll do it myself.",
    "{T} should hang from a tree.",
    "I'm going to strangle {t} with my bare hands.",
    "If I ever see {t} I will smash {poss} face in.",
    "{T} need a bullet in the head.",
    "Someone needs to put {t} in the ground.",
    "I'll hang {t} in the town square.",
    "Give me five minutes alone with {t} and a baseball bat.",
    "{T} will get what's coming, I'll make sure of it personally.",
    "I hope {t} burn alive.",
]
THREAT_TARGETS = [
    ("you", "you", "your"),
    ("him", "him", "his"),
    ("her", "her", "her"),
    ("them", "them", "their"),
    ("that guy", "him", "his"),
    ("the mods", "them", "their"),
    ("every one of you", "you", "your"),
    ("the reporter", "her", "her"),
    ("that idiot", "him", "his"),
]
INSULTS = [
    "idiot",
    "moron",
    "clown",
    "loser",
    "imbecile",
    "halfwit",
    "piece of garbage",
    "pathetic troll",
    "brainless fool",
    "waste of space",
    "dumbass",
    "jerk",
]
INSULT_T = [
    "You are a {x}.",
    "Shut up, you {x}.",
    "Only a {x} would write this.",
    "Nobody cares what you think, {x}.",
    "You're such a {x}, go away.",
    "What a {x} you are.",
    "Are you really this dumb, you {x}?",
    "Read a book, you {x}.",
    "Another comment from the resident {x}.",
    "@user you absolute {x}.",
]
CLEAN = [
    "I disagree with the senator's tax plan.",
    "This policy will hurt small businesses.",
    "The Republicans are wrong about healthcare, in my opinion.",
    "The Democrats are wrong on this one.",
    "I think the government is making a mistake with the budget.",
    "I don't buy the minister's argument at all.",
    "This article is biased, it ignores the other side.",
    "Your numbers are off, check the census data.",
    "I voted against the measure and I would do it again.",
    "The president's speech was weak and vague.",
    "That is a terrible idea for the city.",
    "Respectfully, you are wrong about the history here.",
    "This band absolutely kills it live.",
    "I killed it at the gym today.",
    "The deadline is killing me.",
    "That joke was so bad it hurt.",
    "The new season is a bloodbath for the favorites.",
    "We destroyed them in the final, 4-0.",
    "This heat is murder.",
    "I could kill for a coffee right now.",
    "Shoot me a message when you land.",
    "The candidate was attacked over his voting record.",
    "The war in the region has killed thousands of civilians.",
    "Police arrested a man after the stabbing.",
    "Critics say the plan would gut public schools.",
    "Honestly this is the worst take I've read this week.",
    "Taxes are too high and the council keeps wasting money.",
    "Immigration policy needs a serious debate.",
    "The bill on border security passed the house.",
    "I don't agree, but thanks for explaining your view.",
    "Can you share a source for that claim?",
    "Good point, I hadn't thought about it that way.",
    "Lol that's hilarious",
    "See you all at the meeting tonight.",
    "Thanks for the link, great read.",
]
POLITICIANS = [
    "Putin",
    "Biden",
    "Trump",
    "Assad",
    "Erdogan",
    "Netanyahu",
    "Macron",
    "the prime minister",
    "the senator",
    "the mayor",
    "the government",
    "Congress",
    "the Kremlin",
    "the White House",
    "Israel",
    "Russia",
    "Iran",
    "Syria",
    "the US",
    "Turkey",
    "Ukraine",
    "China",
    "the Russians",
    "the Israelis",
    "the Americans",
    "the Iranians",
    "NATO",
    "Hezbollah",
    "the EU",
]
POLITICAL = [
    "{X} is wrong about the economy.",
    "{X}'s policy on Syria is a disaster.",
    "{X} should resign over this.",
    "I don't trust {X} on foreign policy.",
    "{X} has failed the country.",
    "{X} broke every promise.",
    "{X} will never agree to a no-fly zone.",
    "{X} is responsible for the bombing of civilians.",
    "{X} lied about the war.",
    "Sanctions on {X} are not working.",
    "{X} is playing a dangerous game.",
    "History will judge {X} harshly.",
    "{X} wants to expand his influence in the region.",
    "The strikes ordered by {X} killed hundreds of people.",
    "Why would anyone believe {X}?",
]


def generate(seed: int) -> list[tuple[str, list[int], str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, list[int], str]] = []
    zero = [0] * 6
    for a, plural in IDENTITIES:
        for tpl in NEUTRAL_ADJ:
            p = rng.choice(PERSONS)
            text = tpl.format(a=a, p=p, A=a[:1].upper() + a[1:])
            rows.append((text, list(zero), "template_identity_neutral"))
        for tpl in NEUTRAL_PL:
            text = tpl.format(P=plural, a=a)
            rows.append((text[:1].upper() + text[1:], list(zero), "template_identity_neutral"))
        for tpl in rng.sample(POSITIVE_PL, POSITIVE_PER_IDENTITY):
            text = tpl.format(P=plural, a=a)
            rows.append((text[:1].upper() + text[1:], list(zero), "template_identity_neutral"))
        for tpl in rng.sample(HOSTILE_PL, 6):
            text = tpl.format(P=plural, a=a)
            rows.append((text[:1].upper() + text[1:], [1, -1, -1, -1, -1, 1], "template_identity_hostile"))
        for tpl in rng.sample(IMPLICIT_HOSTILE_PL, IMPLICIT_PER_IDENTITY):
            text = tpl.format(P=plural, a=a)
            rows.append((text[:1].upper() + text[1:], [1, -1, -1, -1, -1, 1], "template_identity_hostile"))
        for tpl in rng.sample(THREATS, 3):
            text = tpl.format(t=plural, T=plural, o="them", poss="their")
            rows.append((text[:1].upper() + text[1:], [1, -1, -1, 1, -1, 1], "template_threat"))
    for t, o, poss in THREAT_TARGETS:
        for tpl in THREATS:
            text = (
                tpl.format(t=t, T=t, o=o, poss=poss)
                .replace("you live", "you live")
                .replace("them live", "they live")
            )
            rows.append((text[:1].upper() + text[1:], [1, -1, -1, 1, -1, 0], "template_threat"))
    for x in INSULTS:
        for tpl in rng.sample(INSULT_T, 5):
            rows.append((tpl.format(x=x), [1, -1, -1, 0, 1, 0], "template_insult"))
    for text in CLEAN:
        rows.append((text, list(zero), "template_clean"))
    for x in POLITICIANS:
        for tpl in rng.sample(POLITICAL, 5):
            text = tpl.format(X=x)
            rows.append((text[:1].upper() + text[1:], list(zero), "template_clean"))
    return rows


LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def _noise(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    kind = rng.randrange(5)
    idx = [i for i, w in enumerate(words) if len(w) >= 4]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    if kind == 0:  # swap adjacent letters
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:  # drop a letter
        w = w[:j] + w[j + 1 :]
    elif kind == 2:  # double a letter
        w = w[:j] + w[j] + w[j:]
    elif kind == 3:  # leet one letter
        w = "".join(LEET.get(c, c) if k == j else c for k, c in enumerate(w))
    else:  # join with the next word
        if i + 1 < len(words):
            words[i : i + 2] = [w + words[i + 1]]
            return " ".join(words)
    words[i] = w
    return " ".join(words)


def augment_spelling(rows: list, seed: int, n: int) -> list[tuple[str, list[int], str]]:
    rng = random.Random(seed + 1)
    picked = rng.sample(rows, min(n, len(rows)))
    return [(_noise(text, rng), list(vec), "augment_spelling") for text, vec, _ in picked]
