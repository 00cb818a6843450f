"""The upload form's fields into a manifest: every refusal names its field, nothing half-made."""

from __future__ import annotations

import datetime as dt

from server.uploads.form import MAX_ROWS, read_form

AGENDA = (
    "In order to facilitate the navigation through the webinar, we present you with a short "
    "overview of timing:\n"
    """00:00:05 - Welcome by Maria Jensen
00:04:12 - Keynote by Tomasz Nowak (ReCircle project)
(times are approximate)
"""
)


def _fields(**extra: str) -> dict[str, str]:
    fields = {
        "title": "Circular procurement",
        "date": "2024-03-14",
        "description": "A webinar.",
        "language": "en",
        "topics": "procurement, circular economy, ",
        "speaker-1-name": "Maria Jensen",
        "speaker-1-role": "moderator",
        "speaker-2-name": "Tomasz Nowak",
        "speaker-2-project": "ReCircle",
        "speaker-3-name": "",  # an empty row the form always shows
        "resource-1-title": "Toolkit",
        "resource-1-url": "https://example.org/toolkit",
        "agenda": AGENDA,
    }
    fields.update(extra)
    return fields


def test_a_complete_form_makes_the_manifest_the_cli_reads() -> None:
    form = read_form(_fields())
    assert form.ok, form.errors
    manifest = form.manifest
    assert manifest is not None
    assert manifest.title == "Circular procurement"
    assert manifest.date == dt.date(2024, 3, 14)
    assert manifest.topics == ["procurement", "circular economy"]
    assert [(p.name, p.role, p.project) for p in manifest.speakers] == [
        ("Maria Jensen", "moderator", None),
        ("Tomasz Nowak", None, "ReCircle"),
    ]
    assert [(r.title, r.url) for r in manifest.resources] == [("Toolkit", "https://example.org/toolkit")]
    assert manifest.agenda == AGENDA.strip()
    # The page's own sentence and the note are skipped with a warning, not refused.
    assert len(form.warnings) == 2


def test_each_problem_is_named_next_to_its_field() -> None:
    form = read_form(
        _fields(
            title="",
            date="19/11/2024",
            language="xx",
            **{"speaker-2-name": "", "resource-1-url": "javascript:alert(1)"},
            agenda="00:00:05 - Welcome\nzz:99 - Keynote by somebody",
        )
    )
    assert not form.ok
    assert form.manifest is None
    assert set(form.errors) >= {"title", "date", "speaker-2", "resource-1"}
    assert "2024-11-19" in form.errors["date"]
    assert "https://" in form.errors["resource-1"]


def test_a_malformed_agenda_and_a_wrong_language_are_refused() -> None:
    agenda = read_form(_fields(agenda="00:00:05 - Welcome\n00:0x:12 - Keynote by Tomasz Nowak"))
    assert "agenda" in agenda.errors
    assert "00:0x:12" in agenda.errors["agenda"]
    language = read_form(_fields(language="klingon"))
    assert "language" in language.errors


def test_limits() -> None:
    rows = {f"speaker-{n}-name": f"Person {n}" for n in range(1, MAX_ROWS + 3)}
    assert "speakers" in read_form(_fields(**rows)).errors
    assert "title" in read_form(_fields(title="x" * 301)).errors
