"""The archive learning its vocabulary: names right before and after one round of staff corrections.

On the demo recording with no manifest vocabulary (tests/glossary_round.py has the steps): the
first transcription, staff's corrections of its names through the corrections module, the
glossary built from that history, and a second transcription of the same audio with the glossary
as `PipelineOptions.extra_vocabulary`. Two rounds: corrections over the whole webinar, and over
its first half only (then the second half is held out: its names were never corrected there).
The manifest's own vocabulary is shown for comparison. Also the word error rate, the names
written where the script has none ("invented": a word snapped to a name wrongly), and the time
to build the glossary.

    .venv/bin/python bench/glossary.py
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    import jiwer

    from ingest.metadata import load_manifest
    from ingest.pipeline import PipelineOptions, run
    from tests.glossary_round import (
        DEMO,
        HELD_OUT_FROM,
        hypothesis_text,
        names_invented,
        names_right,
        one_round,
        plain_transcript,
        reference_text,
    )

    def wer(hypothesis: str) -> float:
        def norm(text: str) -> str:
            return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())

        return float(jiwer.wer(norm(reference_text()), norm(hypothesis)))

    def share(pair: tuple[int, int]) -> str:
        return f"{pair[0]}/{pair[1]} ({pair[0] / pair[1]:.0%})"

    reference = reference_text()
    started = time.perf_counter()
    plain = plain_transcript()
    print(f"first transcription, no vocabulary: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        whole = one_round(Path(folder) / "whole.db", plain=plain)
        half = one_round(Path(folder) / "half.db", corrected_until=HELD_OUT_FROM, plain=plain)
    manifest = run(DEMO, load_manifest(DEMO.with_name("manifest.yaml")), PipelineOptions(structure=False))
    with_manifest = manifest.transcript.text

    print("demo webinar, 277 s, tiny.en; names = people, projects and places of the script")
    print("| transcription | names right | held out (after 121 s) | invented | WER |")
    print("| --- | --- | --- | --- | --- |")
    held_plain = names_right(reference_text(HELD_OUT_FROM), hypothesis_text(plain, HELD_OUT_FROM))
    print(
        f"| no vocabulary (before) | {share(whole.before)} | {share(held_plain)} |"
        f" {whole.invented_before} | {wer(plain.text):.1%} |"
    )
    print(
        f"| glossary after corrections of the whole webinar ({whole.corrected_segments} segments) |"
        f" {share(whole.after)} | | {whole.invented_after} | {wer(whole.after_text):.1%} |"
    )
    print(
        f"| glossary after corrections of the first half ({half.corrected_segments} segments) |"
        f" {share(half.after)} | {share(half.held_out_after)} | {half.invented_after} |"
        f" {wer(half.after_text):.1%} |"
    )
    print(
        f"| the manifest's vocabulary (for comparison) | {share(names_right(reference, with_manifest))} |"
        f" | {names_invented(reference, with_manifest)} | {wer(with_manifest):.1%} |"
    )
    print(f"glossary, whole webinar ({len(whole.glossary)} terms): {', '.join(whole.glossary)}")
    print(f"glossary, first half ({len(half.glossary)} terms): {', '.join(half.glossary)}")


if __name__ == "__main__":
    main()
