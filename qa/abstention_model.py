"""The abstention model, written by `bench/train_abstention.py` (do not edit).

Threshold chosen out of fold for at most 5% wrong abstentions on answerable
development questions; rates on articles and meetings never seen in training:

    development_out_of_fold: wrong 0.049, recall 0.218, n+ 757, n- 633
    held_out: wrong 0.015, recall 0.279, n+ 202, n- 201
    held_out_squad: wrong 0.016, recall 0.114, n+ 124, n- 123
    held_out_qmsum: wrong 0.013, recall 0.538, n+ 78, n- 78
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
