"""The agenda staff write for an event, turned into typed items the structure stage can snap.

Staff already publish a "timing overview" on each event page (the project's design notes quote
one: bullets, `00:04:12 - Keynote ..., by Tomasz Nowak (ReCircle project)`); asking them for a
second, machine-friendly format would mean two sources that drift apart. So this package reads
the overview as written: any bullet, `HH:MM:SS`, `H:MM:SS` or `MM:SS`, ranges, times before or
after the title, loose separators, wrapped lines, and names in a handful of set phrases. What
the event page wraps around the items (an introductory sentence, headings, notes, links) is
skipped and returned as warnings, so pasting the whole overview works.
A manifest may instead carry a structured agenda (`AgendaEntry` list); both forms end up as the
same `AgendaItem` list, so later stages never care which one staff used.

`times` reads written times, `lines` tells items from wrapped titles and prose, `names` matches
mentions to speakers, `titles` reads who and what a title names, and `parse` turns whole
agendas into items (`read_agenda`, with the warnings; `parse_agenda`, the items alone).
"""

from ingest.agenda.names import match_speaker
from ingest.agenda.parse import (
    AgendaError,
    AgendaItem,
    AgendaWarning,
    ParsedAgenda,
    parse_agenda,
    read_agenda,
    within_recording,
)
from ingest.agenda.times import parse_time
from ingest.agenda.titles import AUDIENCE
from ingest.textutil import normalise_name

__all__ = [
    "AUDIENCE",
    "AgendaError",
    "AgendaItem",
    "AgendaWarning",
    "ParsedAgenda",
    "match_speaker",
    "normalise_name",
    "parse_agenda",
    "parse_time",
    "read_agenda",
    "within_recording",
]
