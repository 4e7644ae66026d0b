"""Whether a message speaks to someone in the conversation.

An insult with "you" in it, or aimed at a mentioned member, is an attack on a participant; one that
names nobody in the conversation ("the minister is a clown") is usually a jeer at a public figure or a
third party. The policy treats the two differently (``unaddressed_insults`` in config/default.toml).

The rule, first match wins:

1. the message mentions a member, or closes with a bare vocative insult ("... Dumbass.", "Idiot!"): a
   sentence of insult words alone at the end of a comment speaks to the reader it answers: addressed;
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
from bisect import bisect_left, bisect_right

# "you" also when disguised: "y0u", "yu", "youuuu", "yooou" (possessive runs keep it linear).
_YOU = r"y++[o0]*+u++"
_SECOND_PERSON = re.compile(
    rf"(?<![\w'’])(?:{_YOU}(?:r++|rs|rself|rselves|'re|re|’re|'ve|’ve|'ll|’ll|'d|’d)?"
    r"|ya|u|ur|y'all|y’all|yall|thou|thee|thy)(?![\w'’]|\.\w)",
    re.IGNORECASE,
)

# Punctuation breaks a clause only before a space or the end: "st.u.p.i.d" is one word, not three. A run
# of marks is only tried from its first mark, and taken whole (possessive): tried from every mark, a
# long run such as ".,.,.,x" cost time quadratic in its length.
_CLAUSE_BREAK = re.compile(
    r"(?<![.!?;:,])[.!?;:,]++(?=\s|$)|[()\n]+|\s[-–—]\s|\b(?:but|and|while|whereas|because)\b",
    re.IGNORECASE,
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
_YOU_BEFORE = re.compile(rf"(?<![\w'’])(?:{_YOU}|ya|u|y'all|y’all|yall)$", re.IGNORECASE)
_YOU_LONGEST = 24  # how far back to look for "you" (room for "youuuuu")
# A closing sentence of one to three words ending in an insult for a person: "Dumbass.", "Idiot!",
# "Absolute moron." Adjectives alone ("Pathetic.") and political jeers ("Puppet.", "Traitor.") judge a
# thing or a public figure and do not count. Only the last ``_TAIL`` characters are read.
_PERSON_INSULTS = (
    "idiot|idiots|moron|morons|dumbass|fool|fools|clown|clowns|liar|liars|loser|losers|retard|imbecile|"
    "imbeciles|cretin|cretins|buffoon|buffoons|jerk|jerks|bitch|bastard|asshole|assholes|coward|cowards|"
    "hypocrite|hypocrites|troll|trolls|shill|shills|donkey|dick|prick|twat|wanker|cunt|halfwit|dimwit|"
    "dolt|nitwit|numpty|muppet"
)
_BARE_MODIFIER = rf"(?:{_INSULT_WORDS}|absolute|total|complete|utter|fucking|bloody|damn|big|silly|you)"
_BARE_VOCATIVE = re.compile(
    rf"(?:^|[.!?…;:]\s+|\n\s*)(?:{_BARE_MODIFIER}\s+){{0,2}}(?:{_PERSON_INSULTS})\s*[.!?…]*\s*$",
    re.IGNORECASE,
)
_TAIL = 80


def _insult_clauses(text: str) -> list[str]:
    return [clause for clause in _CLAUSE_BREAK.split(text) if clause and _INSULT.search(clause)]


def _right_after_you(clause: str, start: int) -> bool:
    """Whether ``clause[:start]`` ends with "you" (or "ya", "y'all" ...) and blanks: "you Americans".

    Looks back from ``start`` only (blanks, then one short word), so it costs the same wherever the
    capitalised word sits in a long clause."""
    end = start
    while end > 0 and clause[end - 1].isspace():
        end -= 1
    if end == start:
        return False
    return _YOU_BEFORE.search(clause, max(0, end - _YOU_LONGEST), end) is not None


def _last_at_or_before(bounds: list[int], position: int) -> int | None:
    index = bisect_right(bounds, position)
    return bounds[index - 1] if index else None


def _first_at_or_after(bounds: list[int], position: int) -> int | None:
    index = bisect_left(bounds, position)
    return bounds[index] if index < len(bounds) else None


def _aims_at_second_person(clause: str) -> bool:
    """Whether an insult in ``clause`` attaches to "you" rather than to a third party named nearer to it.

    One pass over the matches, with sorted bounds and binary search for "the nearest party": the clause
    of a long message can hold thousands of insults and parties."""
    you = list(_SECOND_PERSON.finditer(clause))
    if not you:
        return False
    insults = list(_INSULT.finditer(clause))
    insult_ends = [i.end() for i in insults]  # insult matches do not overlap: ends are sorted too
    others = []
    for m in _THIRD_PARTY.finditer(clause):
        # "Idiots like the moron you ...": an insult word is not itself a third party
        k = bisect_right(insult_ends, m.start())
        if k < len(insults) and insults[k].start() < m.end():
            continue
        if not _SUBJECT_OF_VERB.match(clause, m.end()):
            continue
        if m.group(0)[0].isupper() and _right_after_you(clause, m.start()):
            continue
        others.append(m)
    you_ends, you_starts = [m.end() for m in you], [m.start() for m in you]
    other_ends, other_starts = [m.end() for m in others], [m.start() for m in others]
    for insult in insults:
        # The party named closest before the insult, else closest after it; on a tie "you" wins.
        you_end = _last_at_or_before(you_ends, insult.start())
        other_end = _last_at_or_before(other_ends, insult.start())
        if you_end is not None or other_end is not None:
            if other_end is None or (you_end is not None and you_end >= other_end):
                return True
            continue
        you_start = _first_at_or_after(you_starts, insult.end())
        other_start = _first_at_or_after(other_starts, insult.end())
        if you_start is not None and (other_start is None or you_start <= other_start):
            return True
    return False


def closes_with_bare_insult(text: str) -> bool:
    """Whether ``text`` ends with a sentence of insult words alone ("... Dumbass.", "Idiot!")."""
    return _BARE_VOCATIVE.search(text[-_TAIL:].rstrip()) is not None


def addresses_someone(text: str, *, mentions: int = 0, is_reply: bool = False) -> bool:
    """True when ``text`` speaks to someone in the conversation (see the module docstring)."""
    if mentions > 0 or closes_with_bare_insult(text):
        return True
    clauses = _insult_clauses(text)
    if clauses:
        if any(_aims_at_second_person(clause) for clause in clauses):
            return True
        return is_reply and not any(_THIRD_PARTY.search(clause) for clause in clauses)
    return is_reply or _SECOND_PERSON.search(text) is not None
