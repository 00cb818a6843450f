"""Telling a question from the words, as a listener would.

Two strengths, because they are used differently: an *explicit* question announces itself
("my question is", "a question from the audience", "I would like to ask") and can turn a panel
exchange into a question/answer pair; an *asked* question merely sounds like one (a question
mark, or an interrogative opening a sentence) and only counts where the chapter already expects
questions or where another voice answers right after.
"""

from __future__ import annotations

import re

from ingest.textutil import fold

__all__ = ["is_explicit_question", "sounds_like_question"]

_EXPLICIT = re.compile(
    r"\b(?:my question is|my question would be|i would like to ask|i'd like to ask|i want to ask"
    r"|i have a question|we have a question|there is a question|there's a question"
    r"|a question from (?:the )?(?:audience|chat|floor|participants?|attendees?)"
    r"|question (?:from|in) (?:the )?(?:audience|chat)|(?:someone|somebody) (?:in the audience )?asks"
    r"|(?:the )?audience asks|(?:the )?chat asks|question for you)\b"
)
_INTERROGATIVE_TEXT = (
    "how what why when where who whom whose which could can would do does did is are was were will "
    "should shall may might have has"
)
_INTERROGATIVE = frozenset(_INTERROGATIVE_TEXT.split())
_SUBORDINATE = frozenset({"when", "where", "while", "is", "was", "have", "has", "do", "may", "which"})
_SENTENCE = re.compile(r"[^.?!]+[.?!]?")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def is_explicit_question(text: str) -> bool:
    """Whether the words announce a question outright."""
    return _EXPLICIT.search(fold(text).replace("’", "'")) is not None


def sounds_like_question(text: str) -> bool:
    """A question mark, an interrogative opening a sentence, or an explicit announcement.

    An interrogative only counts at the start of a sentence or after a name of address
    ("Javier, how do you ..."), because "how" inside a statement ("this is how we ...") asks
    nothing.
    """
    if "?" in text or is_explicit_question(text):
        return True
    for sentence in _SENTENCE.findall(fold(text)):
        words = _WORD.findall(sentence)
        if not words:
            continue
        # "When a ferry waits in port, ..." is a statement: subordinating openers do not count.
        if words[0] in _INTERROGATIVE and words[0] not in _SUBORDINATE:
            return True
        head, _, rest = sentence.partition(",")
        rest_words = _WORD.findall(rest)
        if rest and len(_WORD.findall(head)) <= 2 and rest_words and rest_words[0] in _INTERROGATIVE:
            return True
    return False
