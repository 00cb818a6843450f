"""Manifests in JSON or YAML; an invalid one names the field and the problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ingest.metadata import ManifestError, load_manifest

YAML = """
title: Circular procurement
date: 2026-03-14
language: en
topics: [procurement, circular economy]
speakers:
  - {name: Maria Jensen, role: moderator, affiliation: Interreg Europe}
  - {name: Tomasz Nowak, role: presenter, project: ReCircle}
resources:
  - {title: ReCircle good practice, url: "https://example.org/recircle"}
agenda: |
  00:00:05 - Welcome by Maria Jensen
"""


def test_yaml_and_json_manifests_load(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(YAML)
    manifest = load_manifest(path)
    assert manifest.title == "Circular procurement"
    assert manifest.date == dt.date(2026, 3, 14)
    assert [p.name for p in manifest.speakers] == ["Maria Jensen", "Tomasz Nowak"]
    assert manifest.vocabulary()[:3] == ["Maria Jensen", "Interreg Europe", "Tomasz Nowak"]
    assert isinstance(manifest.agenda, str)
    json_path = tmp_path / "m.json"
    json_path.write_text('{"title": "T", "speakers": [{"name": "A"}], "topics": ["x"]}')
    assert load_manifest(json_path).speakers[0].name == "A"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("speakers: [{role: moderator}]", "speakers[0]"),
        ("topics: procurement", "topics"),
        ("date: not-a-date", "date"),
        ("resources: [{title: x}]", "resources[0]"),
        ("titel: typo", "titel"),
        ("- just\n- a list", "top level"),
        ("title: [unclosed", "not valid JSON or YAML"),
    ],
)
def test_invalid_manifest_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert field in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_manifest_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="file not found"):
        load_manifest(tmp_path / "nope.yaml")
