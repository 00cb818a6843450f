"""Which speech model a recording's language gets, and how a manifest's language is checked."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ingest import transcribe as transcribe_module
from ingest.document import Segment, Transcript
from ingest.errors import InputError
from ingest.metadata import ManifestError, parse_manifest
from ingest.models import BASE, LANGUAGES, ModelError, check_language, choose_model, iso_language
from ingest.transcribe import ModelConfig, TranscribeOptions, choose_language_model, whisper_arguments


def test_languages_are_whispers_two_letter_codes() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    whisper = {iso_language(code) for code in _LANGUAGE_CODES if len(code) == 2}
    assert whisper == LANGUAGES


@pytest.mark.parametrize(("written", "code"), [("de", "de"), (" DE ", "de"), ("fr", "fr"), ("jv", "jv")])
def test_manifest_language_is_checked_and_normalised(written: str, code: str) -> None:
    assert parse_manifest({"language": written}).language == code


@pytest.mark.parametrize("written", ["xx", "german", "de-DE", "haw", ""])
def test_unknown_manifest_language_is_an_error_naming_the_field(written: str) -> None:
    with pytest.raises(ManifestError, match=r"not an ISO 639-1 language code.*\$\.language"):
        parse_manifest({"language": written})


def test_absent_manifest_language_stays_absent() -> None:
    assert parse_manifest({"title": "x"}).language is None


@pytest.mark.parametrize("model", ["default", "tiny.en"])
def test_english_only_default_switches_to_base_for_another_language(model: str) -> None:
    chosen, note = choose_model(model, "de")
    assert chosen == BASE
    assert note is not None
    assert "base" in note
    assert "'de'" in note


@pytest.mark.parametrize(("model", "language"), [("default", "en"), ("tiny.en", None), ("base", "de")])
def test_model_kept_when_it_can_transcribe_the_language(model: str, language: str | None) -> None:
    assert choose_model(model, language) == (model, None)


def test_a_bad_language_option_is_an_input_error() -> None:
    with pytest.raises(InputError, match="language: 'klingon' is not an ISO 639-1"):
        choose_language_model([], ModelConfig(), TranscribeOptions(language="klingon"))


def test_manifest_language_switches_default_to_base_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ingest.transcribe"):
        config, options = choose_language_model([], ModelConfig(), TranscribeOptions(language="de"))
    assert config.model == BASE
    assert options.language == "de"
    assert "tiny.en is English-only; using the multilingual base model for 'de'" in caplog.text


def test_detection_runs_with_base_only_for_an_english_only_default(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_detect(audio: Any, config: ModelConfig) -> tuple[str, float]:
        calls.append(config.model)
        return "fr", 0.9

    monkeypatch.setattr(transcribe_module, "detect_language", fake_detect)
    config, options = choose_language_model([], ModelConfig(), TranscribeOptions())
    assert (calls, config.model, options.language) == (["base"], "base", "fr")
    calls.clear()
    config, options = choose_language_model([], ModelConfig(model="base"), TranscribeOptions())
    assert (calls, config.model, options.language) == ([], "base", None)  # base detects as it decodes
    config, options = choose_language_model([], ModelConfig(), TranscribeOptions(detect_language=False))
    assert (calls, config.model, options.language) == ([], "default", None)


def test_detected_english_keeps_tiny_en(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcribe_module, "detect_language", lambda audio, config: ("en", 0.97))
    config, options = choose_language_model([], ModelConfig(model="tiny.en"), TranscribeOptions())
    assert (config.model, options.language) == ("tiny.en", "en")


def test_english_only_model_folder_is_refused_for_another_language() -> None:
    from ingest.models import refuse_english_only

    error = refuse_english_only("/models/small.en", "de")
    assert isinstance(error, ModelError)
    assert isinstance(error, InputError)
    assert "'/models/small.en' is English-only and cannot transcribe language 'de'" in str(error)
    assert "\n" not in str(error)


def test_whisper_gets_its_own_code_for_javanese() -> None:
    assert check_language("jv") == "jv"
    assert whisper_arguments(TranscribeOptions(language="jv"), multilingual=True)["language"] == "jw"
    assert whisper_arguments(TranscribeOptions(language="de"), multilingual=False)["language"] == "en"


def test_segment_language_round_trips_and_defaults_to_none() -> None:
    segments = [Segment(0, 0.0, 1.0, "Hello"), Segment(1, 1.0, 2.0, "Hallo", language="de")]
    transcript = Transcript(language="en", duration=2.0, model="m", segments=segments)
    again = Transcript.from_json(transcript.to_json())
    assert [s.language for s in again.segments] == [None, "de"]
    old = b'{"language":"en","duration":1,"model":"m","segments":[{"id":0,"start":0,"end":1,"text":"a"}]}'
    assert Transcript.from_json(old).segments[0].language is None


def test_segments_are_labelled_where_their_language_differs() -> None:
    answers = {  # by clip length in seconds: ranked (language, probability)
        5: [("en", 0.9), ("de", 0.01)],
        6: [("de", 0.39), ("en", 0.23)],
        7: [("en", 0.15), ("de", 0.11)],
    }

    class FakeModel:
        def detect_language(self, clip: Any) -> tuple[str, float, list[Any]]:
            ranked = answers[len(clip) // 16_000]
            return ranked[0][0], ranked[0][1], ranked

    segments = [
        Segment(0, 0.0, 5.0, "english"),  # 5 s: detected en, the transcript's: None
        Segment(1, 5.0, 11.0, "german"),  # 6 s: de 1.7 times as likely as en: de
        Segment(2, 11.0, 12.0, "short"),  # too short to detect: keeps de
        Segment(3, 12.0, 19.0, "unsure"),  # en only 1.4 times as likely as de: keeps de
    ]
    transcribe_module.label_segment_languages(FakeModel(), [0.0] * (20 * 16_000), segments, "en", 4.0)
    assert [s.language for s in segments] == [None, "de", "de", "de"]
