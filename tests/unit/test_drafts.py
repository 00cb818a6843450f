"""The machine draft (server/catalog/drafts.py): measured on the fixtures by bench/drafts.py,
with floors a change of the extractor must keep."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from server.catalog.drafts import extract_draft, keyphrases, sentences

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_drafts", ROOT / "bench/drafts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_drafts"] = module
    spec.loader.exec_module(module)
    return module


def test_draft_measured_on_the_fixtures_keeps_its_floor() -> None:
    results = _bench().measure()
    demo = results["demo"]
    # Measured 2026-11-27: demo topics 4/5 useful, 4/7 found; two_voices 2/6 useful, 2/3 found;
    # demo key messages 1/5 references matched, ROUGE-1 recall 0.36.
    assert demo["topics"].found >= 4
    assert demo["topics"].useful / demo["topics"].suggested >= 0.6
    assert results["two_voices"]["topics"].found >= 2
    assert demo["messages"].matched >= 1
    assert demo["messages"].rouge1_recall >= 0.30


def test_draft_leaves_out_greetings_questions_and_names() -> None:
    texts = [
        "Good afternoon everyone, and welcome to this webinar about harbour electricity today.",
        "Shore power lets ferries plug into the grid while they wait in the harbour for passengers.",
        "How did you convince the shipping companies to invest in new shore power equipment on board?",
        "Emissions at the ferry terminal fell by forty percent after shore power was connected to ferries.",
    ]
    draft = extract_draft(texts, exclude=["Marek Wójcik", "PORTIS"], messages=2, topics=4)
    assert all("?" not in m and "welcome" not in m for m in draft.key_messages)
    assert len(draft.key_messages) == 2
    assert "shore power" in draft.topics
    assert not any(
        "portis" in t for t in keyphrases("PORTIS builds shore power. PORTIS again.", 3, ["PORTIS"])
    )


def test_sentences_split_at_sentence_ends() -> None:
    assert sentences(["One two. Three four? Five"]) == ["One two.", "Three four?", "Five"]
    assert extract_draft([]).key_messages == []
