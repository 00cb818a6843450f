"""Small text helpers shared by the agenda parser, the vocabulary snap and the structure stage.

Everything compares folded text (case and accents dropped by `normalise_name`), because speech
recognition writes "Portis" where the metadata says "PORTIS" and staff write "Gutierrez" for
"Gutiérrez".
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD leaves whole although readers treat them as accented forms of a plain letter;
# staff typing on an English keyboard write "Lukasz" for "Łukasz" and "Soren" for "Søren".
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

_STOPWORD_TEXT = """
    a about above after again against all almost also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either else
    even ever every few for from further get gets got had has have having he her here hers herself
    him himself his how i if in into is it its itself just let lets like made make makes many may
    me might more most much must my myself need no nor not now of off often on once one only or
    other our ours ourselves out over own part per really same see she should since so some still
    such than thank thanks that the their theirs them themselves then there these they thing things
    this those though through to today too under until up upon us use used very via was way we well
    were what when where whether which while who whom whose why will with within without would yes
    yet you your yours yourself yourselves going want know think say said says look good great new
    first second next last lot lots okay ok right sure kind quite maybe actually basically also
    hello hi welcome everyone everybody afternoon morning evening question questions answer point
    year years time times day days two three four five six seven eight nine ten hundred thousand
    percent around almost already always another around back come comes came give given go goes
    went keep little long small big large end start started begin mean means put take took try tried
    work works worked able across along among approach etc i'm it's we're we've you're they're don't
    can't won't that's there's let's
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Function words and webinar small talk: never a topic, never part of a chapter title."""


def normalise_name(text: str) -> str:
    """Fold a name so spellings staff treat as the same compare equal.

    Case and accents are dropped (NFKD, then combining marks removed) because staff write
    "Jose Garcia" for "José García" and "MARIA JENSEN" in headings; whitespace is collapsed.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.translate(_PLAIN_LETTERS).split())


def fold(text: str) -> str:
    """Case- and accent-free text, for comparing names and terms however they were written."""
    return normalise_name(text)


def tokens(text: str) -> list[str]:
    """Folded words of a text, punctuation dropped (apostrophes inside words kept)."""
    return _TOKEN.findall(fold(text))


def content_tokens(text: str) -> list[str]:
    """Folded words that carry topic: no stopwords, no numbers, nothing shorter than 3 letters."""
    return [t for t in tokens(text) if len(t) >= 3 and t not in STOPWORDS and not t.isdigit()]


def contains_phrase(haystack: list[str], needle: list[str]) -> bool:
    """Whether `needle` occurs in `haystack` as whole consecutive words."""
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    return any(haystack[i] == first and haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def ends_sentence(word: str) -> bool:
    """Whether a word closes a sentence (., ? or !, possibly followed by a quote or bracket)."""
    core = word.strip().rstrip("\"'”’)]")
    return core.endswith((".", "?", "!", "…")) and not core.endswith("...,")


def ends_clause(word: str) -> bool:
    """Whether a word closes a clause (comma, semicolon, colon, dash): the next-best cut point."""
    core = word.strip().rstrip("\"'”’)]")
    return core.endswith((",", ";", ":", "—", "–"))
