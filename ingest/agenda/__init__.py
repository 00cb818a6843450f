"""The agenda staff write for an event, turned into typed items (the parser is in `parse`)."""

from ingest.agenda.parse import (
    AUDIENCE,
    AgendaError,
    AgendaItem,
    match_speaker,
    normalise_name,
    parse_agenda,
    parse_time,
)

__all__ = [
    "AUDIENCE",
    "AgendaError",
    "AgendaItem",
    "match_speaker",
    "normalise_name",
    "parse_agenda",
    "parse_time",
]
