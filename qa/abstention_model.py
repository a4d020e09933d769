"""The abstention models, written by `bench/train_abstention.py` (do not edit).

Thresholds chosen out of fold for at most 5% wrong abstentions on answerable
development questions of each language; rates on articles, meetings and documents
never seen in training:

    development_out_of_fold: wrong 0.049, recall 0.218, n+ 757, n- 633
    held_out: wrong 0.015, recall 0.279, n+ 202, n- 201
    held_out_squad: wrong 0.016, recall 0.114, n+ 124, n- 123
    held_out_qmsum: wrong 0.013, recall 0.538, n+ 78, n- 78
    fr development_out_of_fold: wrong 0.047, recall 0.524, n+ 86, n- 103
    fr held_out: wrong 0.000, recall 0.579, n+ 35, n- 38
    fr held_out_fr: wrong 0.000, recall 0.629, n+ 29, n- 35
    fr held_out_fr-en: wrong 0.000, recall 0.000, n+ 6, n- 3
"""

from __future__ import annotations

from typing import Any

MODEL: dict[str, Any] = {
    "features": ["dense_best", "unit_cosine", "passage_coverage", "transcript"],
    "mean": [0.481185, 0.602517, 0.606095, 0.257554],
    "scale": [0.162418, 0.176125, 0.311827, 0.437287],
    "coef": [0.531968, 0.882386, 0.288559, 0.832518],
    "intercept": 0.194571,
    "threshold": 0.807659,
}

FR_MODEL: dict[str, Any] = {
    "features": ["dense_best", "unit_cosine", "passage_coverage", "cross_lingual"],
    "mean": [0.451923, 0.520511, 0.316795, 0.118166],
    "scale": [0.168753, 0.178529, 0.296002, 0.246371],
    "coef": [0.559756, -0.469329, 1.63544, 0.397787],
    "intercept": 0.07729,
    "threshold": 0.747859,
}

MODELS: dict[str, dict[str, Any]] = {"en": MODEL, "fr": FR_MODEL}
