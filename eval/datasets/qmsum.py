"""QMSum (Zhong et al., 2021): meeting JSON to WebVTT plus a golden set.

Each meeting becomes a WebVTT file (one cue per turn, `<v Speaker>` voice tags, times from
word counts at 2.5 words/s). Each specific query becomes a golden question asked within its
meeting (a `source_prefix` filter): its reference answer, its gold-span turns of 4+ words as
evidence texts (shorter turns — "Yeah.", "Okay." — would match anywhere), and as expert the
speaker with the most words in the gold span. With `away`, each query is asked a second time
against the next meeting, marked `must_abstain` and tagged `other-meeting`: QMSum's meetings
come in series, so some of those *can* be answered; the abstention recall on them is a
rough signal, not a clean one.
"""

from __future__ import annotations

import json
from pathlib import Path

from kenning.eval.golden import EvidenceSpan, GoldenQuestion, write_golden

WORDS_PER_SECOND = 2.5
MIN_TURN_WORDS = 4


def write_vtt(name: str, meeting: dict, folder: Path) -> Path:
    """A meeting as WebVTT, one cue per turn, `<v Speaker>` voice tags."""
    lines = ["WEBVTT", ""]
    clock = 0.0
    for turn in meeting["meeting_transcripts"]:
        duration = max(1.0, len(turn["content"].split()) / WORDS_PER_SECOND)
        start, end = clock, clock + duration
        clock = end
        content = turn["content"].replace("-->", "->").strip() or "…"
        lines += [f"{_stamp(start)} --> {_stamp(end)}", f"<v {turn['speaker']}>{content}", ""]
    path = folder / f"{name}.vtt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _stamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def questions_of(name: str, meeting: dict, away: str | None) -> list[GoldenQuestion]:
    """The golden questions of one meeting's specific queries."""
    turns = meeting["meeting_transcripts"]
    source = f"{name}.vtt"
    out: list[GoldenQuestion] = []
    for i, item in enumerate(meeting["specific_query_list"]):
        gold: list[dict] = []
        for first, last in item["relevant_text_span"]:
            gold += turns[int(first) : int(last) + 1]
        words: dict[str, int] = {}
        for turn in gold:
            words[turn["speaker"]] = words.get(turn["speaker"], 0) + len(turn["content"].split())
        speaker = max(words, key=lambda s: words[s]) if words else ""
        evidence = tuple(EvidenceSpan(source, text=t["content"].strip()) for t in gold
                         if len(t["content"].split()) >= MIN_TURN_WORDS)  # fmt: skip
        out.append(GoldenQuestion(
            id=f"{name}-{i}", question=item["query"], answer=item["answer"], evidence=evidence,
            experts=(speaker,) if speaker else (), filters={"source_prefix": source},
            tags=("qmsum", name.rstrip("0123456789")),
        ))  # fmt: skip
        if away:
            out.append(GoldenQuestion(
                id=f"{name}-{i}-away", question=item["query"], must_abstain=True,
                filters={"source_prefix": f"{away}.vtt"}, tags=("other-meeting",),
            ))  # fmt: skip
    return out


def prepare(split_dir: Path, out: Path, limit: int | None = None, away: bool = True) -> Path:
    """Write `out/corpus/*.vtt` and `out/golden.jsonl` from a QMSum split folder.

    Returns the golden file.

    Raises:
        FileNotFoundError: the folder holds no meeting JSON.
    """
    files = sorted(split_dir.glob("*.json"))[:limit]
    if not files:
        raise FileNotFoundError(f"no QMSum meeting JSON in {split_dir}")
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    names = [f.stem for f in files]
    questions: list[GoldenQuestion] = []
    for i, path in enumerate(files):
        meeting = json.loads(path.read_text(encoding="utf-8"))
        write_vtt(path.stem, meeting, corpus)
        other = names[(i + 1) % len(names)] if away and len(names) > 1 else None
        questions += questions_of(path.stem, meeting, other)
    golden = out / "golden.jsonl"
    write_golden(questions, golden)
    return golden
