"""The abstention models of the multilingual embedding model,
written by `bench/train_abstention.py` (do not edit).

Thresholds chosen out of fold for at most 5% wrong abstentions on answerable
development questions of each language; rates on articles, meetings and documents
never seen in training:

    development_out_of_fold: wrong 0.049, recall 0.107, n+ 688, n- 581
    held_out: wrong 0.011, recall 0.153, n+ 181, n- 183
    held_out_squad: wrong 0.008, recall 0.008, n+ 124, n- 123
    held_out_qmsum: wrong 0.042, recall 0.542, n+ 24, n- 24
    held_out_fr: wrong 0.000, recall 0.394, n+ 27, n- 33
    held_out_fr-en: wrong 0.000, recall 0.333, n+ 6, n- 3
    fr development_out_of_fold: wrong 0.047, recall 0.670, n+ 86, n- 103
    fr held_out: wrong 0.029, recall 0.816, n+ 35, n- 38
    fr held_out_fr: wrong 0.000, recall 0.857, n+ 29, n- 35
    fr held_out_fr-en: wrong 0.167, recall 0.333, n+ 6, n- 3
"""

from __future__ import annotations

from typing import Any

MODEL: dict[str, Any] = {
    "features": ["dense_best", "unit_cosine", "passage_coverage", "cross_lingual"],
    "mean": [0.569805, 0.667879, 0.630502, 0.037037],
    "scale": [0.132994, 0.160967, 0.309006, 0.188853],
    "coef": [0.421198, 0.514025, 0.462624, 0.138032],
    "intercept": 0.522686,
    "threshold": 0.805102,
}

FR_MODEL: dict[str, Any] = {
    "features": ["dense_best", "unit_cosine", "passage_coverage", "cross_lingual"],
    "mean": [0.583529, 0.570357, 0.331924, 0.238095],
    "scale": [0.159701, 0.158855, 0.309318, 0.425918],
    "coef": [0.457699, 0.690898, 1.297744, 0.627126],
    "intercept": -0.207263,
    "threshold": 0.784554,
}

MODELS: dict[str, dict[str, Any]] = {"en": MODEL, "fr": FR_MODEL}
