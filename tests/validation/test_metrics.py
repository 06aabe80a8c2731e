"""Metrics against answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forensics.validation.metrics import bootstrap_auc, cllr, eer, roc_auc


def test_auc_hand_example() -> None:
    # pairs (pos, neg): (0.35,0.1) yes, (0.35,0.4) no, (0.8,0.1) yes, (0.8,0.4) yes -> 3/4
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auc_ties_count_half_and_direction() -> None:
    assert roc_auc([1.0, 1.0], [0, 1]) == pytest.approx(0.5)
    assert roc_auc([0, 1, 2, 3], [0, 0, 1, 1]) == 1.0
    assert roc_auc([0, 1, 2, 3], [1, 1, 0, 0]) == 0.0
    # pos {2, 2}, neg {1, 2}: pairs 1, 0.5, 1, 0.5 -> 0.75
    assert roc_auc([2, 2, 1, 2], [1, 1, 0, 0]) == pytest.approx(0.75)


def test_auc_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="each class"):
        roc_auc([0.1, 0.2], [1, 1])


def test_bootstrap_interval() -> None:
    perfect = bootstrap_auc([0, 1, 2, 3], [0, 0, 1, 1], n_resamples=200)
    assert (perfect.estimate, perfect.low, perfect.high) == (1.0, 1.0, 1.0)
    rng = np.random.default_rng(3)
    scores = np.concatenate([rng.normal(0, 1, 60), rng.normal(1, 1, 60)])
    labels = np.repeat([0, 1], 60)
    ci = bootstrap_auc(scores, labels, n_resamples=500, seed=1)
    assert ci.low < ci.estimate < ci.high and ci.level == 0.95
    assert 0.65 < ci.estimate < 0.85  # theory: Phi(1/sqrt 2) = 0.76
    assert bootstrap_auc(scores, labels, n_resamples=500, seed=1) == ci


def test_eer() -> None:
    assert eer([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1]) == 0.0
    # threshold 3: negatives {1, 3} -> FPR 1/2; positives {2, 4} -> FNR 1/2
    assert eer([1, 2, 3, 4], [0, 1, 0, 1]) == pytest.approx(0.5)


def test_cllr_known_values() -> None:
    assert cllr([0.0, 0.0], [0, 1]) == pytest.approx(1.0)  # LR = 1 always: 1 bit
    assert cllr([1.0, -1.0], [1, 0]) == pytest.approx(math.log2(1.1))  # LR 10 and 1/10
    assert cllr([-1.0, 1.0], [1, 0]) == pytest.approx(math.log2(11.0))  # misleading
    assert cllr([300.0, -300.0], [1, 0]) == pytest.approx(0.0, abs=1e-12)  # no overflow
