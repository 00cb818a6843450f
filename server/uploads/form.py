"""The upload form's fields, read into a manifest, with every problem named next to its field.

Staff fill in what they already write for the event page: title, date, description, language,
topics, the speakers (a row each), the timing overview pasted as text, and the resources. This
module turns the submitted fields into the same `Manifest` the CLI's `--manifest` reads, so the
rest of the way (the processing job) is one path for the form, the API and the command line.
Nothing here touches the disk or the database: a refused form keeps nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from ingest.agenda import read_agenda
from ingest.errors import InputError
from ingest.metadata import Manifest, ManifestError, Person, ResourceLink, parse_manifest

MAX_ROWS: Final = 50
"""Speakers or resources the form accepts: more is a mistake, not a webinar."""
MAX_TEXT: Final = {"title": 300, "description": 5000, "agenda": 20000, "topics": 1000}
_ROW: Final = re.compile(r"^(speaker|resource)-(\d{1,2})-(name|role|affiliation|project|title|url)$")


@dataclass
class UploadForm:
    """What the form holds (to show it again with its errors) and the manifest it makes."""

    values: dict[str, str] = field(default_factory=dict)
    speakers: list[dict[str, str]] = field(default_factory=list)
    resources: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Field name -> the reason it was refused ("agenda": "line 3: ...")."""
    warnings: list[str] = field(default_factory=list)
    """Agenda lines skipped (headings, notes): shown, not refused."""
    manifest: Manifest | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.manifest is not None


def _rows(fields: Mapping[str, str], prefix: str, names: Sequence[str]) -> list[dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in fields.items():
        match = _ROW.match(key)
        if match and match.group(1) == prefix and match.group(3) in names:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    return [rows[n] for n in sorted(rows) if any(rows[n].values())][: MAX_ROWS + 1]


def read_form(fields: Mapping[str, str]) -> UploadForm:
    """Validate the submitted fields; `form.ok` when a manifest could be made from them."""
    form = UploadForm(
        values={
            k: fields.get(k, "").strip()
            for k in ("title", "date", "description", "language", "topics", "agenda")
        }
    )
    form.speakers = _rows(fields, "speaker", ("name", "role", "affiliation", "project"))
    form.resources = _rows(fields, "resource", ("title", "url"))
    values, errors = form.values, form.errors
    for name, limit in MAX_TEXT.items():
        if len(values[name]) > limit:
            errors[name] = f"at most {limit:,} characters"
    if not values["title"]:
        errors.setdefault("title", "a title is needed: it names the webinar everywhere")
    date = None
    if values["date"]:
        try:
            date = dt.date.fromisoformat(values["date"])
        except ValueError:
            errors["date"] = f"expected a date such as 2024-11-19, got {values['date'][:30]!r}"
    topics = [t.strip() for t in values["topics"].split(",") if t.strip()]
    if len(form.speakers) > MAX_ROWS:
        errors["speakers"] = f"at most {MAX_ROWS} speakers"
    if len(form.resources) > MAX_ROWS:
        errors["resources"] = f"at most {MAX_ROWS} resources"
    people = []
    for n, row in enumerate(form.speakers[:MAX_ROWS], start=1):
        if not row.get("name"):
            errors[f"speaker-{n}"] = "each speaker needs a name (or leave the whole row empty)"
            continue
        people.append(
            Person(
                row["name"],
                row.get("role") or None,
                row.get("affiliation") or None,
                row.get("project") or None,
            )
        )
    links = []
    for n, row in enumerate(form.resources[:MAX_ROWS], start=1):
        url = row.get("url", "")
        parts = urlsplit(url)
        if not row.get("title"):
            errors[f"resource-{n}"] = "each resource needs a title"
        elif parts.scheme not in ("http", "https") or not parts.netloc:
            errors[f"resource-{n}"] = f"expected a web address starting with https://, got {url[:60]!r}"
        else:
            links.append(ResourceLink(row["title"], url))
    data: dict[str, Any] = {"title": values["title"] or None, "topics": topics}
    if values["description"]:
        data["description"] = values["description"]
    if values["language"]:
        data["language"] = values["language"]
    try:
        manifest = parse_manifest(data)
    except ManifestError as exc:
        errors.setdefault(
            "language" if "language" in str(exc) else "title", str(exc).removeprefix("manifest: ")
        )
        return form
    manifest.date = date
    manifest.speakers = people
    manifest.resources = links
    if values["agenda"] and "agenda" not in errors:
        try:
            parsed = read_agenda(values["agenda"], people)
        except InputError as exc:
            errors["agenda"] = str(exc)
        else:
            form.warnings = [str(w) for w in parsed.warnings]
            manifest.agenda = values["agenda"]
    if not errors:
        form.manifest = manifest
    return form
