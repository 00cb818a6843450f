"""How much of the machine draft staff would keep, on the fixtures (server/catalog/drafts.py).

    .venv/bin/python bench/drafts.py

Topics: the draft's suggestions against the manifest's topics (media/demo/manifest.yaml,
tests/data/two_voices.manifest.yaml). A manifest topic is found when a suggestion shares one of
its content words after folding plurals ("ports" ~ "port"); precision is the share of
suggestions that match some manifest topic, recall the share of manifest topics matched.
Key messages: the draft's sentences against hand-written reference messages for the demo
(tests/data/demo_key_messages.yaml): a reference message is matched when one draft sentence
holds at least half of its content words (the "kept" rate), and ROUGE-1 recall over content
words of all references against all draft sentences. Inputs are the fixtures' true transcripts
(truth.json), so the figures measure the extractor, not the speech model.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.catalog.drafts import Draft, content_words, extract_draft  # noqa: E402

FIXTURES = (
    ("demo", ROOT / "media/demo/truth.json", ROOT / "media/demo/manifest.yaml"),
    ("two_voices", ROOT / "tests/data/two_voices.json", ROOT / "tests/data/two_voices.manifest.yaml"),
)
REFERENCE = ROOT / "tests/data/demo_key_messages.yaml"


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def stems(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text)}


@dataclass
class TopicScore:
    suggested: int
    useful: int
    """Suggestions sharing a content word with some manifest topic."""
    topics: int
    found: int
    """Manifest topics that some suggestion shares a content word with."""


def score_topics(suggested: list[str], topics: list[str]) -> TopicScore:
    useful = sum(1 for s in suggested if any(stems(s) & stems(t) for t in topics))
    found = sum(1 for t in topics if any(stems(s) & stems(t) for s in suggested))
    return TopicScore(len(suggested), useful, len(topics), found)


@dataclass
class MessageScore:
    references: int
    matched: int
    """References with a draft sentence holding at least half of their content words."""
    rouge1_recall: float


def score_messages(draft: list[str], references: list[str]) -> MessageScore:
    drafted = [stems(s) for s in draft]
    matched = 0
    for ref in references:
        words = stems(ref)
        if words and any(len(words & d) >= len(words) / 2 for d in drafted):
            matched += 1
    ref_words = [w for r in references for w in {_stem(x) for x in content_words(r)}]
    pool = set().union(*drafted) if drafted else set()
    recall = sum(1 for w in ref_words if w in pool) / len(ref_words) if ref_words else 0.0
    return MessageScore(len(references), matched, recall)


def fixture_draft(truth: Path, manifest: Path) -> tuple[Draft, dict[str, Any]]:
    meta = yaml.safe_load(manifest.read_text())
    texts = [u["text"] for u in json.loads(truth.read_text())["utterances"]]
    names = [
        x
        for s in meta.get("speakers", [])
        for x in (s.get("name"), s.get("affiliation"), s.get("project"))
        if x
    ]
    return extract_draft(texts, language=meta.get("language", "en"), exclude=names), meta


def measure() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, truth, manifest in FIXTURES:
        draft, meta = fixture_draft(truth, manifest)
        out[name] = {"draft": draft, "topics": score_topics(draft.topics, meta.get("topics", []))}
    references = yaml.safe_load(REFERENCE.read_text())["key_messages"]
    out["demo"]["messages"] = score_messages(out["demo"]["draft"].key_messages, references)
    return out


def main() -> None:
    results = measure()
    for name, result in results.items():
        draft: Draft = result["draft"]
        t: TopicScore = result["topics"]
        print(f"{name}: topics suggested {draft.topics}")
        print(
            f"  topics: {t.useful}/{t.suggested} suggestions match a manifest topic "
            f"(precision {t.useful / max(1, t.suggested):.0%}), {t.found}/{t.topics} manifest topics found "
            f"(recall {t.found / max(1, t.topics):.0%})"
        )
        if "messages" in result:
            m: MessageScore = result["messages"]
            for line in draft.key_messages:
                print(f"  draft key message: {line}")
            print(
                f"  key messages: {m.matched}/{m.references} reference messages matched by a draft sentence "
                f"(>= 50% of content words), ROUGE-1 recall {m.rouge1_recall:.2f}"
            )


if __name__ == "__main__":
    main()
