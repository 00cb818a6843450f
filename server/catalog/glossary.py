"""The archive's glossary: the names and terms staff corrected or confirmed, for the next transcription.

Where the terms come from (no table of its own; everything is read from what is already stored):

- `person`: every person's name; `project`: every project's or organisation's name;
- `correction`: terms staff introduced in text corrections (`segment.text` and `segment.replace`
  rows of `edit_history`), with a small, explainable rule (`extract_terms`): the old and new
  texts are aligned word by word (difflib on case-folded words, as `retime_words` does); a word
  staff wrote or re-cased that looks like a name (capitalised mid-sentence, all capitals such as
  "AGROCIRC", or with a capital inside such as "McKenzie"), with the name-like words around it
  ("Kent County Council", "Regional Cooperation Programme"), is a term. A correction that was
  reverted (and not re-applied) teaches nothing. Each term keeps what the machine had written
  (`was`: "Merck" for "Marek"), so staff can see why it is there.
- `staff`: terms staff added by hand; a term staff removed stays out, whatever its source,
  until it is added again. These decisions are `edit_history` rows with `table_name =
  "glossary"`, `row_id = 0`, `field` `glossary.add` or `glossary.remove` and `new_value =
  {"term": ...}`; the newest decision for a term (case ignored) wins.

`ingest_vocabulary` turns the glossary into the `PipelineOptions.extra_vocabulary` the worker
and the CLI pass to the pipeline: the names prompt and the snap to known words use it next to
the manifest's names. Every function takes a session its caller owns and only flushes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlmodel import Session, col, select

from ingest.errors import InputError, NotFoundError
from server.catalog.corrections import REPLACE, TEXT, word_key
from server.catalog.models import EditHistory, Person, Project

GLOSSARY_TABLE: Final = "glossary"
ADD: Final = "glossary.add"
REMOVE: Final = "glossary.remove"
MAX_TERM: Final = 200
"""Characters in one term."""
MAX_RUN: Final = 6
"""Words in one extracted term: a longer run of capitalised words is a title, not a name."""
MAX_INGEST_TERMS: Final = 200
"""Terms passed to one transcription: the snap compares every word with every term."""
SOURCES: Final = ("staff", "correction", "person", "project")
"""In the order a term's spelling and the vocabulary's order prefer them."""

CONNECTORS: Final = frozenset(
    {"of", "de", "del", "della", "la", "le", "van", "von", "der", "den", "da", "di", "du"}
)
"""Lower-case words allowed inside a multi-word name ("University of Gdańsk", "Ana de la Cruz")."""
_COMMON = """a an the and or but so if then than that this these those there here it its i we you he she
    they me us him her them my our your his their what which who whom whose when where why how
    is are was were be been being am do does did have has had will would shall should can could
    may might must not no yes ok okay oh well thank thanks hello hi good welcome please today
    in on at to for from by with about into of as up out over after before"""
STOPWORDS: Final = frozenset(_COMMON.split())
"""Capitalised common words that are never names on their own ("So", "Thank", "Today")."""

_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_SENTENCE_END = re.compile(r"[.!?…:]['\"’”)]*$")
_POSSESSIVE = re.compile(r"['’]s$")
_WORD_END = re.compile(r"\w$")
_WORD_START = re.compile(r"\w")


# --- extraction --------------------------------------------------------------------------------


def _core(token: str) -> str:
    """A token without the punctuation around it, nor a possessive "'s"."""
    return _POSSESSIVE.sub("", _EDGE.sub("", token))


def _name_like(core: str, sentence_start: bool) -> bool:
    """Capitalised and not a common word; at a sentence's start only all capitals or an inner capital."""
    letters = [c for c in core if c.isalpha()]
    if not letters or core.casefold() in STOPWORDS:
        return False
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True  # an acronym: AGROCIRC, EU
    if not letters[0].isupper():
        return False
    inner_capital = any(c.isupper() for c in letters[1:])
    return inner_capital or not sentence_start


@dataclass(frozen=True)
class Extracted:
    term: str
    was: str
    """What the machine had written there (empty when staff inserted the words)."""


def extract_terms(old_text: str, new_text: str) -> list[Extracted]:
    """Name-like terms that a correction of `old_text` into `new_text` introduced.

    A new word counts when staff wrote it (it replaced or was added to the machine's words) or
    re-cased it ("portis" -> "PORTIS"), and it looks like a name (`_name_like`); the term is the
    run of name-like words around it (lower-case connectors such as "of" allowed inside), cut at
    punctuation, and at most `MAX_RUN` words.
    """
    old, new = old_text.split(), new_text.split()
    old_cores, new_cores = [_core(t) for t in old], [_core(t) for t in new]
    starts = [j == 0 or bool(_SENTENCE_END.search(new[j - 1])) for j in range(len(new))]
    like = [_name_like(new_cores[j], starts[j]) for j in range(len(new))]
    source: list[tuple[int, int]] = [(0, 0)] * len(new)  # the old words each new word stands for
    changed: list[bool] = [False] * len(new)
    rewritten: list[bool] = [False] * len(new)  # not only re-cased
    matcher = difflib.SequenceMatcher(
        None, [word_key(t) for t in old], [word_key(t) for t in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            if tag == "equal":
                i = i1 + j - j1
                source[j] = (i, i + 1)
                changed[j] = old_cores[i] != new_cores[j]  # re-cased: "portis" -> "PORTIS"
            else:
                source[j] = (i1, i2)
                changed[j] = rewritten[j] = True
    found: list[Extracted] = []
    seen: set[tuple[int, int]] = set()
    for j in range(len(new)):
        if not (changed[j] and like[j]):
            continue
        lo, hi = _run(new, new_cores, like, j)
        # The run, and the words staff changed in it on their own ("PORTIS" of "PORTIS Shore
        # Power Guide", where the machine had "Portie Shore Power Guide").
        lo2, hi2 = j, j + 1
        while lo2 > lo and changed[lo2 - 1]:
            lo2 -= 1
        while hi2 < hi and changed[hi2]:
            hi2 += 1
        parts = [(lo, hi)]
        if any(rewritten[lo2:hi2]) or new_cores[j].isupper():
            parts.append((lo2, hi2))
        for a, b in parts:
            if (a, b) in seen or b - a > MAX_RUN or new_cores[b - 1].casefold() in CONNECTORS:
                continue
            seen.add((a, b))
            term = " ".join(new_cores[k] for k in range(a, b))
            # The machine's words for it: from the first to the last old word its words stand for.
            first = min(source[k][0] for k in range(a, b))
            last = max(source[k][1] for k in range(a, b))
            found.append(Extracted(term=term, was=" ".join(c for c in old_cores[first:last] if c)))
    return found


def _run(new: list[str], cores: list[str], like: list[bool], j: int) -> tuple[int, int]:
    """The name-like words around word j, not crossing punctuation; connectors only inside."""

    def joins(k: int) -> bool:  # no punctuation between word k and word k + 1
        return k + 1 < len(new) and bool(_WORD_END.search(new[k])) and bool(_WORD_START.match(new[k + 1]))

    lo = j
    while lo > 0 and joins(lo - 1):
        if like[lo - 1]:
            lo -= 1
        elif cores[lo - 1].casefold() in CONNECTORS and lo >= 2 and like[lo - 2] and joins(lo - 2):
            lo -= 2
        else:
            break
    hi = j + 1
    while hi < len(new) and joins(hi - 1):
        if like[hi]:
            hi += 1
        elif cores[hi].casefold() in CONNECTORS and hi + 1 < len(new) and like[hi + 1] and joins(hi):
            hi += 2
        else:
            break
    return lo, hi


# --- the glossary ------------------------------------------------------------------------------


def term_key(term: str) -> str:
    """Terms are the same when they differ only in case and spacing."""
    return " ".join(term.split()).casefold()


@dataclass
class Term:
    term: str
    sources: list[str] = field(default_factory=list)
    """Where it comes from: `staff`, `correction`, `person`, `project` (in that order)."""
    corrections: int = 0
    """How many corrections introduced it."""
    was: list[str] = field(default_factory=list)
    """What the machine had written, up to five spellings."""
    webinars: list[int] = field(default_factory=list)
    """The webinars whose corrections taught it."""
    entries: list[int] = field(default_factory=list)
    """The history rows it came from (corrections, and staff's decision)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "sources": list(self.sources),
            "corrections": self.corrections,
            "was": list(self.was),
            "webinars": list(self.webinars),
            "entries": list(self.entries),
        }


@dataclass(frozen=True)
class Glossary:
    terms: list[Term]
    removed: list[str]
    """Terms staff removed (kept out of the vocabulary until added again)."""


def _effective_corrections(session: Session) -> list[EditHistory]:
    """Text corrections still in force: a reverted one is skipped, unless its revert was reverted."""
    rows = session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar")
        .where(col(EditHistory.field).in_((TEXT, REPLACE)))
        .order_by(col(EditHistory.id).desc())
    )
    undone: set[int] = set()
    kept: list[EditHistory] = []
    for row in rows:
        if row.id in undone:
            continue
        new = row.new_value if isinstance(row.new_value, dict) else {}
        if new.get("reverts") is not None:
            undone.add(int(new["reverts"]))
            continue
        kept.append(row)
    kept.reverse()
    return kept


def _decisions(session: Session) -> dict[str, tuple[str, str, int]]:
    """Staff's newest decision per term: key -> (field, term as written, row id)."""
    rows = session.exec(
        select(EditHistory).where(EditHistory.table_name == GLOSSARY_TABLE).order_by(col(EditHistory.id))
    )
    decided: dict[str, tuple[str, str, int]] = {}
    for row in rows:
        new = row.new_value if isinstance(row.new_value, dict) else {}
        term = str(new.get("term") or "").strip()
        if term and row.field in (ADD, REMOVE):
            decided[term_key(term)] = (row.field, term, row.id or 0)
    return decided


def _text(value: Any) -> str:
    return str(value.get("value") or "") if isinstance(value, dict) else ""


def build_glossary(session: Session) -> Glossary:
    """The glossary as it stands: people, projects, corrected terms and staff's decisions."""
    terms: dict[str, Term] = {}
    spellings: dict[str, dict[str, int]] = {}

    def add(text: str, source: str) -> Term:
        key = term_key(text)
        entry = terms.setdefault(key, Term(term=" ".join(text.split())))
        if source not in entry.sources:
            entry.sources.append(source)
            entry.sources.sort(key=SOURCES.index)
        return entry

    for (name,) in session.execute(select(Person.name)):
        add(str(name), "person").term = " ".join(str(name).split())
    for (name,) in session.execute(select(Project.name)):
        entry = add(str(name), "project")
        if "person" not in entry.sources:
            entry.term = " ".join(str(name).split())
    for row in _effective_corrections(session):
        for found in extract_terms(_text(row.old_value), _text(row.new_value)):
            entry = add(found.term, "correction")
            entry.corrections += 1
            if found.was and found.was not in entry.was and len(entry.was) < 5:
                entry.was.append(found.was)
            if row.row_id not in entry.webinars:
                entry.webinars.append(row.row_id)
            entry.entries.append(row.id or 0)
            counts = spellings.setdefault(term_key(found.term), {})
            counts[found.term] = counts.get(found.term, 0) + 1
    for key, counts in spellings.items():  # people's and projects' spellings stand; else the commonest
        entry = terms[key]
        if not {"person", "project"} & set(entry.sources):
            entry.term = max(counts.items(), key=lambda pair: pair[1])[0]
    removed: list[str] = []
    for key, (decision, text, row_id) in _decisions(session).items():
        if decision == REMOVE:
            terms.pop(key, None)
            removed.append(text)
            continue
        entry = add(text, "staff")
        entry.term = text
        entry.entries.append(row_id)
    ordered = sorted(terms.values(), key=_rank)
    return Glossary(terms=ordered, removed=sorted(removed, key=str.casefold))


def _rank(term: Term) -> tuple[int, int, str]:
    """Staff's terms first, then the most corrected, then people and projects, by name."""
    return (SOURCES.index(term.sources[0]), -term.corrections, term.term.casefold())


def ingest_vocabulary(session: Session, limit: int = MAX_INGEST_TERMS) -> tuple[str, ...]:
    """The glossary as `PipelineOptions.extra_vocabulary`: the first `limit` terms by rank."""
    return tuple(term.term for term in build_glossary(session).terms[:limit])


def _clean_term(term: Any) -> str:
    if not isinstance(term, str):
        raise InputError("term: expected text")
    cleaned = " ".join(term.split())
    if not cleaned:
        raise InputError("term: required")
    if len(cleaned) > MAX_TERM:
        raise InputError(f"term: longer than {MAX_TERM} characters")
    if not any(c.isalnum() for c in cleaned):
        raise InputError("term: needs a letter or a digit")
    return cleaned


def _decide(session: Session, decision: str, term: str, editor: str) -> EditHistory:
    entry = EditHistory(
        table_name=GLOSSARY_TABLE,
        row_id=0,
        field=decision,
        old_value=None,
        new_value={"term": term},
        editor=editor,
    )
    session.add(entry)
    session.flush()
    return entry


def add_term(session: Session, term: Any, editor: str) -> Term:
    """Confirm a term (staff's own, or one removed before): it is in the vocabulary from now on."""
    cleaned = _clean_term(term)
    _decide(session, ADD, cleaned, editor)
    return next(t for t in build_glossary(session).terms if term_key(t.term) == term_key(cleaned))


def remove_term(session: Session, term: Any, editor: str) -> str:
    """Take a term out of the vocabulary (whatever taught it); 404 when it is not in the glossary."""
    cleaned = _clean_term(term)
    current = {term_key(t.term): t.term for t in build_glossary(session).terms}
    if term_key(cleaned) not in current:
        raise NotFoundError(f"term {cleaned!r} is not in the glossary")
    _decide(session, REMOVE, current[term_key(cleaned)], editor)
    return current[term_key(cleaned)]


def glossary_history(session: Session, limit: int = 50) -> list[EditHistory]:
    """Staff's decisions, newest first."""
    return list(
        session.exec(
            select(EditHistory)
            .where(EditHistory.table_name == GLOSSARY_TABLE)
            .order_by(col(EditHistory.id).desc())
            .limit(limit)
        )
    )


def terms_of(entries: Iterable[Term]) -> list[str]:
    return [t.term for t in entries]
