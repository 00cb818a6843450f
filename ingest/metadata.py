"""The metadata staff supply with a recording (the manifest): typed and validated on load.

The manifest feeds three stages: transcription (its names become vocabulary), structure (its
speakers and agenda name the turns and chapters) and the catalogue (title, date, topics).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import yaml

from ingest.errors import InputError
from ingest.models import check_language


class ManifestError(InputError):
    """A manifest that cannot be used; the message names the field and the problem."""


class Person(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    role: str | None = None
    """Free text; "moderator" is recognised by the structure stage."""
    affiliation: str | None = None
    project: str | None = None


class ResourceLink(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    url: str


class AgendaEntry(msgspec.Struct, forbid_unknown_fields=True):
    """A structured agenda line; `at` is seconds or a written time such as "00:04:12"."""

    at: float | str
    title: str
    kind: str | None = None
    speakers: list[str] = msgspec.field(default_factory=list)


class Manifest(msgspec.Struct, forbid_unknown_fields=True):
    title: str | None = None
    date: dt.date | None = None
    description: str | None = None
    language: str | None = None
    """ISO 639-1 code of the spoken language (checked on load); absent: detected."""
    topics: list[str] = msgspec.field(default_factory=list)
    speakers: list[Person] = msgspec.field(default_factory=list)
    resources: list[ResourceLink] = msgspec.field(default_factory=list)
    agenda: str | list[AgendaEntry] | None = None

    def prompt_terms(self) -> list[str]:
        """People's and projects' names: the part of the vocabulary worth prompting the model with."""
        terms = [p.name for p in self.speakers] + [p.project or "" for p in self.speakers]
        return _unique(terms)

    def vocabulary(self) -> list[str]:
        """Names and terms from the metadata that speech recognition should get right."""
        terms: list[str] = []
        for person in self.speakers:
            terms += [person.name, person.affiliation or "", person.project or ""]
        terms += self.topics
        terms += [resource.title for resource in self.resources]
        return _unique(terms)


def _unique(terms: list[str]) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for term in (t.strip() for t in terms):
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            unique.append(term)
    return unique


def parse_manifest(data: Any) -> Manifest:
    """Validate already-decoded JSON/YAML data; errors name the offending field."""
    if data is None:
        return Manifest()
    if not isinstance(data, dict):
        raise ManifestError("manifest: expected a mapping of fields at the top level")
    try:
        manifest = msgspec.convert(data, type=Manifest, strict=False)
    except msgspec.ValidationError as exc:
        raise ManifestError(f"manifest: {exc}") from None
    for n, resource in enumerate(manifest.resources):
        parts = urlsplit(resource.url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            # Shown as a link on the replay page: a `javascript:` address would be a script to click.
            raise ManifestError(
                f"manifest: expected an http:// or https:// address, got {resource.url[:80]!r}"
                f" - at `$.resources[{n}].url`"
            )
    if manifest.language is not None:
        try:
            manifest.language = check_language(manifest.language)
        except ValueError as exc:
            raise ManifestError(f"manifest: {exc} - at `$.language`") from None
    return manifest


def decode_yaml(text: str) -> Any:
    """The data a JSON or YAML text holds; ValueError with the reason for anything else.

    Besides YAML's own errors, the reader raises ValueError for a date it cannot make (a month
    13), and nesting deeper than Python's recursion limit (a page of `[`) raises RecursionError:
    both are the text's fault, so both are reported as such."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"not valid JSON or YAML ({exc})") from None
    except RecursionError:
        raise ValueError("not valid JSON or YAML (nested too deeply)") from None


def load_manifest(path: Path) -> Manifest:
    """Read a JSON or YAML manifest file (YAML is a superset of JSON, so one parser serves)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest {path}: cannot read ({exc})") from None
    try:
        data = decode_yaml(text)
    except ValueError as exc:
        raise ManifestError(f"manifest {path}: {exc}") from None
    try:
        return parse_manifest(data)
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from None
