"""The sentence embedder (ingest/embeddings.py): offline, pinned, and meaning what it should.

These tests hold what a user relies on: it loads with no network, a paraphrase lies closer than
an unrelated sentence, in one language or across two, batching changes nothing, and a
transcript's vectors are dropped once its text changes.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from ingest.document import Segment, Transcript
from ingest.embeddings import (
    DIMENSIONS,
    Embedder,
    ModelFilesError,
    embed_transcript,
    model_folder,
    transcript_vectors,
)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="module")
def reference() -> Embedder:
    """A second embedder: its vectors are computed, never taken from `embedder`'s recent texts."""
    return Embedder()


def test_loads_and_embeds_without_any_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"the embedder opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    vectors = Embedder().embed(["Ferries plug into the city grid."])
    assert vectors.shape == (1, DIMENSIONS)


def test_a_paraphrase_is_nearer_than_an_unrelated_sentence(embedder: Embedder) -> None:
    said, asked, unrelated = embedder.embed(
        [
            "The hard part is agreeing on who pays for the electricity.",
            "the difficult part is deciding who covers the power bill",
            "How do I bake sourdough bread?",
        ]
    )
    assert float(np.linalg.norm(said)) == pytest.approx(1.0, abs=1e-5)
    assert float(said @ asked) > 0.5
    assert float(said @ unrelated) < 0.2


def test_batching_and_padding_change_nothing(embedder: Embedder, reference: Embedder) -> None:
    texts = ["a short line", "a much longer line of speech that needs many more tokens than the first"]
    together = embedder.embed(texts)
    alone = np.stack([reference.embed_one(text) for text in texts])
    assert np.abs(together - alone).max() < 1e-5
    assert np.abs(embedder.embed(texts[::-1])[::-1] - together).max() < 1e-6  # remembered, same


def test_reports_progress_and_keeps_the_order(embedder: Embedder, reference: Embedder) -> None:
    seen: list[tuple[int, int]] = []
    texts = [f"sentence number {i} " * (i % 7 + 1) for i in range(40)]
    vectors = embedder.embed(texts, lambda done, total: seen.append((done, total)))
    assert seen[-1] == (40, 40)
    assert np.abs(vectors[17] - reference.embed_one(texts[17])).max() < 1e-5


def test_weights_other_than_the_pinned_ones_are_refused(tmp_path: Path) -> None:
    shutil.copyfile(model_folder() / "sp.model", tmp_path / "sp.model")
    (tmp_path / "weights.npz").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    with pytest.raises(ModelFilesError, match="sha256"):
        Embedder(tmp_path)


def test_a_transcript_edited_after_the_stage_loses_its_vectors(embedder: Embedder) -> None:
    transcript = Transcript(
        language="en",
        duration=10.0,
        model="test",
        segments=[
            Segment(0, 0.0, 4.0, "Ports and ferries."),
            Segment(
                1,
                4.0,
                8.0,
                "We heat schools with wood chips from olive trees. "
                "They are dried in two large warehouses for three whole months.",
            ),
        ],
    )
    embedded = embed_transcript(transcript, embedder)
    vectors = transcript_vectors(Transcript.from_json(embedded.to_json()))  # survives the JSON file
    assert vectors is not None
    # The second segment has two sentences: the whole, then each sentence.
    assert [v.shape for v in vectors] == [(1, DIMENSIONS), (3, DIMENSIONS)]
    edited = msgspec.structs.replace(
        embedded, segments=[embedded.segments[0], Segment(1, 4.0, 8.0, "Heating with olive stones.")]
    )
    assert transcript_vectors(edited) is None


def test_a_question_finds_what_was_said_in_another_language(embedder: Embedder) -> None:
    asked, german, french, unrelated = embedder.embed(
        [
            "how much cheaper did heating get in the first year",
            "Die Kosten für die Heizung sind im ersten Jahr um ein Drittel gesunken.",
            "Les coûts du chauffage ont baissé d'un tiers la première année.",
            "Wie backe ich Sauerteigbrot?",
        ]
    )
    assert float(asked @ german) > 0.4
    assert float(asked @ french) > 0.4
    assert float(asked @ unrelated) < 0.2


def test_a_language_the_model_does_not_know_gets_no_vectors(embedder: Embedder) -> None:
    german = Transcript(
        language="de", duration=4.0, model="test", segments=[Segment(0, 0.0, 4.0, "Wir heizen die Schulen.")]
    )
    assert embed_transcript(german, embedder).embeddings is not None
    hungarian = Transcript(
        language="hu", duration=4.0, model="test", segments=[Segment(0, 0.0, 4.0, "Fával fűtjük.")]
    )
    assert embed_transcript(hungarian, embedder).embeddings is None
