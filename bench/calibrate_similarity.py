"""Fit the similarity calibration of an embedding model against the packaged one.

Answering reads cosines at fixed scales: the answer unit's score adds lexical features to it,
the abstention model and the floors read it. multilingual-e5-small's cosines run higher and
closer together than all-MiniLM-L6-v2's (0.7-0.9 for most pairs), so its cosines are mapped
onto the packaged model's scale by an affine map, fitted here by matching the mean and the
spread of both models' cosines over the same question/sentence pairs: SQuAD questions with the
sentences of the passages the packaged model retrieves for them (the units answering scores)
and sentences of other articles.

Run (after `kenning eval prepare squad ../shared/data/squad .eval/squad` and an ingest of its
corpus into .eval/squad/kb):

    python -m kenning.bench.calibrate_similarity .eval/squad --model multilingual
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from kenning import KnowledgeBase, load_settings
from kenning.eval.golden import load_golden
from kenning.index.embeddings import create_embedder
from kenning.qa.units import sentences_of

WORDS = 40  # a unit is embedded by its first 40 words, as answering does


def pairs(folder: Path, questions: int, seed: int) -> list[tuple[str, str]]:
    """(question, sentence) pairs: sentences of the top 3 passages, and 3 from elsewhere."""
    rng = random.Random(seed)
    golden = load_golden(folder / "golden.jsonl")
    rng.shuffle(golden)
    out: list[tuple[str, str]] = []
    kb_path = folder / "kb"
    with KnowledgeBase(kb_path, load_settings(home=kb_path, git_history=False)) as kb:
        pool: list[str] = []
        for question in golden[:questions]:
            hits = kb.search(question.question, k=3)
            sentences = [" ".join(s.split()[:WORDS]) for h in hits for s in sentences_of(h.text)]
            sentences = [s for s in sentences if len(s.split()) >= 4][:8]
            out += [(question.question, s) for s in sentences]
            pool += sentences
        for question in golden[:questions]:
            out += [(question.question, s) for s in rng.sample(pool, 3)]
    return out


def cosines(model: str, pairs_: list[tuple[str, str]]) -> np.ndarray:
    """Each pair's cosine under `model` (questions as queries, sentences as passages)."""
    embedder = create_embedder(load_settings(embedding_model=model))
    texts = sorted({s for _, s in pairs_})
    vectors = dict(zip(texts, embedder.embed_documents(texts), strict=True))
    return np.array([float(embedder.embed_query(q) @ vectors[s]) for q, s in pairs_])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("squad", type=Path, help="a prepared SQuAD folder with golden.jsonl, kb/")
    parser.add_argument("--model", default="multilingual")
    parser.add_argument("--reference", default="all-MiniLM-L6-v2")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    found = pairs(args.squad, args.questions, args.seed)
    reference = cosines(args.reference, found)
    model = cosines(args.model, found)
    scale = float(reference.std() / model.std())
    shift = float(reference.mean() - scale * model.mean())
    mapped = scale * model + shift
    print(f"pairs {len(found)}; {args.reference} mean {reference.mean():.3f} sd "
          f"{reference.std():.3f}; {args.model} mean {model.mean():.3f} sd {model.std():.3f}")
    print(f"Pearson r {np.corrcoef(reference, model)[0, 1]:.3f}; mapped mean abs error "
          f"{np.abs(mapped - reference).mean():.3f}")
    print(f"calibration: cosine * {scale:.4f} + {shift:.4f}")


if __name__ == "__main__":
    main()
