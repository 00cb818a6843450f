"""Write the real-voice fixtures (tests/data/real/) from a checkout of pyannote-audio.

    .venv/bin/python scripts/make_real_voices.py --repo /work/.mirror/pyannote+pyannote-audio/repo

Real recorded speech with human speaker annotations, taken from the pyannote-audio repository
(MIT licence) at a fixed commit: its `sample` file (a 30-s two-person phone call, with an RTTM
and an STM transcript) and four 30-s excerpts of AMI meetings from its test data (RTTM). Each
clip becomes `<name>.opus` (mono, 16 kHz source, Opus 32 kbit/s written with PyAV) and
`<name>.json` (`utterances`: `start`, `end`, `speaker`, plus `text` where a transcript exists;
`duration`; `source`). `--repo` may be a bare git directory or a work tree; the files are read
with `git show <commit>:<path>`, so the output does not depend on what is checked out.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "real"
COMMIT = "b749285c"  # pyannote-audio, "Merge branch 'release/4.0.7'"
BITRATE = 32_000

# name -> (wav path, rttm path, stm path or None), all inside the pyannote-audio repository
CLIPS: dict[str, tuple[str, str, str | None]] = {
    "sample": (
        "src/pyannote/audio/sample/sample.wav",
        "src/pyannote/audio/sample/sample.rttm",
        "src/pyannote/audio/sample/sample.stm",
    ),
    "tst00": ("tests/data/tst00.wav", "tests/data/debug.test.rttm", None),
    "tst01": ("tests/data/tst01.wav", "tests/data/debug.test.rttm", None),
    "dev00": ("tests/data/dev00.wav", "tests/data/debug.development.rttm", None),
    "dev01": ("tests/data/dev01.wav", "tests/data/debug.development.rttm", None),
}
# Not committed: the repository's training excerpts (more AMI meetings), written with --extra to
# var/real_extra/ as a second, held-out set for checking a tuning choice made on the fixtures.
EXTRA_OUT = ROOT / "var" / "real_extra"
EXTRA: dict[str, tuple[str, str, str | None]] = {
    f"trn{n:02d}": (f"tests/data/trn{n:02d}.wav", "tests/data/debug.train.rttm", None) for n in range(1, 10)
}


def git_show(repo: Path, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{COMMIT}:{path}"], check=True, capture_output=True
    ).stdout


def read_wav(data: bytes) -> tuple[np.ndarray[Any, np.dtype[np.int16]], int]:
    """Decode a WAV (16-bit or float) to mono 16-bit samples at its own rate."""
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16), rate


def write_opus(path: Path, samples: np.ndarray[Any, np.dtype[np.int16]], rate: int) -> None:
    """Mono Opus at 48 kHz (Opus's own rate), resampled by PyAV; no metadata."""
    with av.open(str(path), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        stream.bit_rate = BITRATE
        stream.options = {"application": "voip"}
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
        step = rate  # one second at a time
        for i in range(0, len(samples), step):
            frame = av.AudioFrame.from_ndarray(
                samples[None, i : i + step].copy(), format="s16", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = i
            for out in resampler.resample(frame):
                container.mux(stream.encode(out))
        for out in resampler.resample(None):
            container.mux(stream.encode(out))
        container.mux(stream.encode(None))


def rttm_turns(text: str, uri: str) -> list[dict[str, Any]]:
    turns = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER" and fields[1] == uri:
            start, length = float(fields[3]), float(fields[4])
            turns.append({"start": round(start, 3), "end": round(start + length, 3), "speaker": fields[7]})
    return sorted(turns, key=lambda t: (t["start"], t["end"]))


def stm_lines(text: str, uri: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[0] == uri:
            lines.append(
                {
                    "start": float(fields[3]),
                    "end": float(fields[4]),
                    "speaker": fields[2],
                    "text": " ".join(fields[5:]),
                }
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="pyannote-audio git directory or checkout")
    parser.add_argument("--extra", action="store_true", help=f"write the training excerpts to {EXTRA_OUT}")
    args = parser.parse_args()
    out, clips = (EXTRA_OUT, EXTRA) if args.extra else (OUT, CLIPS)
    out.mkdir(parents=True, exist_ok=True)
    for name, (wav_path, rttm_path, stm_path) in clips.items():
        samples, rate = read_wav(git_show(args.repo, wav_path))
        write_opus(out / f"{name}.opus", samples, rate)
        data: dict[str, Any] = {
            "source": f"github.com/pyannote/pyannote-audio@{COMMIT}: {wav_path}, {rttm_path}"
            + (f", {stm_path}" if stm_path else ""),
            "duration": round(len(samples) / rate, 3),
            "utterances": rttm_turns(git_show(args.repo, rttm_path).decode(), name),
        }
        if stm_path:
            data["transcript"] = stm_lines(git_show(args.repo, stm_path).decode(), name)
        (out / f"{name}.json").write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        size = (out / f"{name}.opus").stat().st_size
        speakers = len({u["speaker"] for u in data["utterances"]})
        turns = len(data["utterances"])
        print(f"{name}: {data['duration']:.1f} s, {speakers} speakers, {turns} turns, {size} bytes")


if __name__ == "__main__":
    main()
