"""Whether a message speaks to someone in the conversation.

An insult with "you" in it, or aimed at a mentioned member, is an attack on a participant; one that
names nobody in the conversation ("the minister is a clown") is usually a jeer at a public figure or a
third party. The policy treats the two differently (``unaddressed_insults`` in config/default.toml).

The rule, first match wins:

1. the message mentions a member: addressed;
2. a clause holds a common insult word: addressed when, in such a clause, the party named closest
   before the insult (or, with none before it, closest after) is the second person ("you stupid cow",
   but not "if you ask me the senator is a moron"), or when the message is a reply and no such clause
   names a third party ("what a pathetic take" in a reply is addressed; "You are right, Trump is an
   idiot" is not);
3. otherwise: addressed when the message uses the second person anywhere, or replies to a message.

The insult words below only locate the clause an insult sits in; whether the message is toxic at all is
the model's call, never this list's.
"""

from __future__ import annotations

import re

_SECOND_PERSON = re.compile(
    r"(?<![\w'’])(?:you|your|yours|yourself|yourselves|you're|youre|you’re|you've|you’ve|you'll|you’ll"
    r"|you'd|you’d|ya|u|ur|y'all|y’all|yall|thou|thee|thy)(?![\w'’]|\.\w)",
    re.IGNORECASE,
)

# Punctuation breaks a clause only before a space or the end: "st.u.p.i.d" is one word, not three.
_CLAUSE_BREAK = re.compile(
    r"[.!?;:,]+(?=\s|$)|[()\n]+|\s[-–—]\s|\b(?:but|and|while|whereas|because)\b", re.IGNORECASE
)

_INSULT_WORDS = (
    "idiot|idiots|idiotic|moron|morons|moronic|stupid|dumb|dumbass|fool|fools|foolish|clown|clowns|liar|"
    "liars|loser|losers|retard|retarded|imbecile|imbeciles|cretin|cretins|buffoon|buffoons|jerk|jerks|"
    "scum|trash|garbage|pig|pigs|rat|rats|bitch|bitches|bastard|bastards|asshole|assholes|coward|cowards|"
    "pathetic|brainless|ignorant|hypocrite|hypocrites|troll|trolls|shill|shills|cow|donkey|dick|prick|"
    "twat|wanker|cunt|whore|slut|psycho|lunatic|lunatics|senile|incompetent|clueless|halfwit|dimwit|"
    "dolt|nitwit|numpty|muppet|traitor|traitors|crook|crooks|thug|thugs|puppet|puppets"
)
_THIRD_PARTY = re.compile(
    r"(?<![\w'’])(?:he|she|they|him|her|them|his|their|hers|theirs|the\s+\w+)(?!\w)"
    r"|(?<![\w'’])(?!(?:I|What|This|That|It|Such|Just|So|How|Why|Another|Typical|Absolute|Total|Complete"
    r"|Pure|Utter|Stop|Shut|Only|Oh|Lol|Wow|Don|Dont|Do|Be|Please|Go|Get|Keep|Yes|No|Yeah|Nah|Well"
    r"|Seriously|Honestly|Imagine|Look|Listen)\b)[A-Z][a-z]+",
)
_INSULT = re.compile(rf"(?<![\w'’])(?:{_INSULT_WORDS})(?![\w'’])", re.IGNORECASE)
# A third party competes with "you" for an insult only as the subject of a verb ("the senator is a
# moron", "Trump's an idiot"), not as a predicate ("you are the real idiot") or a title-cased word
# ("You Are An Idiot"); a capitalised word right after "you" names who "you" are ("you Americans").
_SUBJECT_OF_VERB = re.compile(
    r"\s*(?:'s|’s|'re|’re)(?!\w)|\s+(?:is|was|are|were|seems|looks|sounds|thinks|has|had)\b", re.IGNORECASE
)
_AFTER_YOU = re.compile(r"(?<![\w'’])(?:you|ya|u|y'all|y’all|yall)\s+$", re.IGNORECASE)


def _insult_clauses(text: str) -> list[str]:
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause and _INSULT.search(clause)]


def _aims_at_second_person(clause: str) -> bool:
    """Whether an insult in ``clause`` attaches to "you" rather than to a third party named nearer to it."""
    if not _SECOND_PERSON.search(clause):
        return False
    parties = [(m.start(), m.end(), True) for m in _SECOND_PERSON.finditer(clause)]
    insults = list(_INSULT.finditer(clause))
    parties += [
        (m.start(), m.end(), False)
        for m in _THIRD_PARTY.finditer(clause)
        # "Idiots like the moron you ...": an insult word is not itself a third party
        if not any(m.start() < i.end() and i.start() < m.end() for i in insults)
        and _SUBJECT_OF_VERB.match(clause, m.end())
        and not (m.group(0)[0].isupper() and _AFTER_YOU.search(clause, 0, m.start()))
    ]
    for insult in insults:
        before = [p for p in parties if p[1] <= insult.start()]
        after = [p for p in parties if p[0] >= insult.end()]
        if before:
            nearest = max(before, key=lambda p: p[1])
        elif after:
            nearest = min(after, key=lambda p: p[0])
        else:
            continue
        if nearest[2]:
            return True
    return False


def addresses_someone(text: str, *, mentions: int = 0, is_reply: bool = False) -> bool:
    """True when ``text`` speaks to someone in the conversation (see the module docstring)."""
    if mentions > 0:
        return True
    clauses = _insult_clauses(text)
    if clauses:
        if any(_aims_at_second_person(clause) for clause in clauses):
            return True
        return is_reply and not any(_THIRD_PARTY.search(clause) for clause in clauses)
    return is_reply or _SECOND_PERSON.search(text) is not None
