"""The agenda staff write for an event, turned into typed items the structure stage can snap.

Staff already publish a "timing overview" on each event page (the project's design notes quote
one: bullets, `00:04:12 - Keynote ..., by Tomasz Nowak (ReCircle project)`); asking them for a
second, machine-friendly format would mean two sources that drift apart. So this package reads
the overview as written: any bullet, `HH:MM:SS`, `H:MM:SS` or `MM:SS`, loose separators, wrapped
lines, and names in a handful of set phrases.
A manifest may instead carry a structured agenda (`AgendaEntry` list); both forms end up as the
same `AgendaItem` list, so later stages never care which one staff used.

`times` reads written times, `names` matches mentions to speakers, `titles` reads who and what
a title names, and `parse` turns whole agendas into items.
"""

from ingest.agenda.names import match_speaker
from ingest.agenda.parse import AgendaError, AgendaItem, parse_agenda
from ingest.agenda.times import parse_time
from ingest.agenda.titles import AUDIENCE
from ingest.textutil import normalise_name

__all__ = [
    "AUDIENCE",
    "AgendaError",
    "AgendaItem",
    "match_speaker",
    "normalise_name",
    "parse_agenda",
    "parse_time",
]
