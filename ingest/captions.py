"""WebVTT and SRT captions from a transcript.

A transcript segment can run for half a minute; a caption should not. Cues are cut from the
words' own times at about two lines of text, so captions follow the voice. Cue text is escaped
for WebVTT (`&`, `<`, `>`), and a known speaker is written as a WebVTT voice tag, as the
standard has it; `voice_tags=False` writes the name as text instead ("Name: ..."), for players
that show a cue's markup raw (Chromium's text of an audio element's cues). `to_text` is the
transcript to read, turn by turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.document import Segment, Transcript, Word

MAX_CUE_CHARS = 84
MAX_CUE_SECONDS = 7.0


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str | None = None


def cues(transcript: Transcript) -> list[Cue]:
    """Split every segment into caption-sized cues, never overlapping the next one; a cue with no
    text (a segment of silence, a word that is only a space) is left out: there is nothing to show,
    and SRT readers drop it, which would shift every later cue's number."""
    names = {s.label: (s.name or s.label) for s in transcript.speakers}
    result: list[Cue] = []
    for segment in transcript.segments:
        speaker = names.get(segment.speaker or "", segment.speaker)
        result.extend(cue for cue in _segment_cues(segment, speaker) if cue.text.split())
    for i in range(len(result) - 1):
        if result[i].end > result[i + 1].start:
            result[i] = Cue(result[i].start, result[i + 1].start, result[i].text, result[i].speaker)
    return result


def _segment_cues(segment: Segment, speaker: str | None) -> list[Cue]:
    if not segment.words:
        return [Cue(segment.start, segment.end, segment.text, speaker)]
    groups: list[list[Word]] = [[]]
    for word in segment.words:
        current = groups[-1]
        if current:
            text = "".join(w.text for w in [*current, word]).strip()
            if len(text) > MAX_CUE_CHARS or word.end - current[0].start > MAX_CUE_SECONDS:
                current = []
                groups.append(current)
        current.append(word)
    return [
        Cue(
            group[0].start,
            max(group[-1].end, group[0].start + 0.01),
            "".join(w.text for w in group).strip(),
            speaker,
        )
        for group in groups
    ]


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    """A cue's text on one line: a line break inside it (a staff edit, a pasted name) would let a
    blank line end the cue early and the rest read as a new block; `-->` would read as a timing."""
    return " ".join(text.split()).replace("-->", "->")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(transcript: Transcript, *, voice_tags: bool = True) -> str:
    """WebVTT; the speaker as a voice tag (`<v Name>`), or as plain text with `voice_tags=False`."""
    lines = ["WEBVTT", ""]
    for cue in cues(transcript):
        lines.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}")
        text, speaker = _one_line(cue.text), _one_line(cue.speaker or "")
        if speaker and voice_tags:
            text = f"<v {_vtt_escape(speaker)}>{_vtt_escape(text)}"
        elif speaker:
            text = _vtt_escape(f"{speaker}: {text}")
        else:
            text = _vtt_escape(text)
        lines += [text, ""]
    return "\n".join(lines)


def to_srt(transcript: Transcript) -> str:
    lines: list[str] = []
    for number, cue in enumerate(cues(transcript), start=1):
        text, speaker = _one_line(cue.text), _one_line(cue.speaker or "")
        lines += [
            str(number),
            f"{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}",
            f"{speaker}: {text}" if speaker else text,
            "",
        ]
    return "\n".join(lines)


def _text_clock(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def to_text(transcript: Transcript, title: str | None = None) -> str:
    """Plain text to read: a heading per speaker turn (`[mm:ss] Name`), then what was said."""
    names = {s.label: (s.name or s.label) for s in transcript.speakers}
    lines: list[str] = [title, ""] if title else []
    previous: object = object()  # no speaker yet: the first segment starts a turn
    for segment in transcript.segments:
        speaker = names.get(segment.speaker or "", segment.speaker)
        if speaker != previous:
            if lines and lines[-1] != "":
                lines.append("")
            lines.append(f"[{_text_clock(segment.start)}] {speaker or 'Unknown speaker'}")
            previous = speaker
        lines.append(segment.text.strip())
    return "\n".join(lines) + "\n"
