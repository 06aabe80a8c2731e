"""Calibration with known answers."""

import math

import numpy as np
import pytest

from forensics.validation.calibration import fit_calibration, min_cllr, reliability
from forensics.validation.metrics import cllr


def test_gaussian_scores_recover_the_true_likelihood_ratio():
    # fakes ~ N(1, 1), reals ~ N(-1, 1): ln LR(x) = 2x exactly, so slope 2, intercept 0
    rng = np.random.default_rng(1)
    fakes, reals = rng.normal(1, 1, 4000), rng.normal(-1, 1, 4000)
    scores = np.concatenate([fakes, reals])
    labels = np.concatenate([np.ones(4000), np.zeros(4000)])
    calibration = fit_calibration(scores, labels)
    assert calibration.slope == pytest.approx(2.0, abs=0.12)
    assert calibration.intercept == pytest.approx(0.0, abs=0.08)
    assert calibration.log10_lr(0.5) == pytest.approx(1.0 / math.log(10), abs=0.06)


def test_class_imbalance_does_not_shift_the_lr():
    rng = np.random.default_rng(2)
    scores = np.concatenate([rng.normal(1, 1, 500), rng.normal(-1, 1, 5000)])
    labels = np.concatenate([np.ones(500), np.zeros(5000)])
    assert fit_calibration(scores, labels).intercept == pytest.approx(0.0, abs=0.15)


def test_separable_data_gives_a_capped_finite_lr():
    scores = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]
    labels = [0, 0, 0, 1, 1, 1]
    calibration = fit_calibration(scores, labels, transform="logit")
    assert calibration.cap == pytest.approx(math.log10(4))
    assert calibration.log10_lr(1.0) == pytest.approx(calibration.cap)
    assert calibration.log10_lr(0.0) == pytest.approx(-calibration.cap)


def test_min_cllr_is_zero_for_separable_scores_and_one_for_useless_ones():
    assert min_cllr([1, 2, 3, 4], [0, 0, 1, 1]) == pytest.approx(0.0, abs=1e-6)
    assert min_cllr([1, 1, 1, 1], [0, 1, 0, 1]) == pytest.approx(1.0, abs=1e-9)


def test_min_cllr_never_exceeds_cllr_of_a_calibrated_system():
    rng = np.random.default_rng(3)
    scores = np.concatenate([rng.normal(1, 1, 300), rng.normal(-1, 1, 300)])
    labels = np.concatenate([np.ones(300), np.zeros(300)])
    calibration = fit_calibration(scores, labels)
    assert min_cllr(scores, labels) <= cllr(calibration.log10_lrs(scores), labels) + 1e-9


def test_reliability_of_true_lrs_is_close_and_of_overstated_lrs_is_not():
    rng = np.random.default_rng(4)
    fakes, reals = rng.normal(1, 1, 5000), rng.normal(-1, 1, 5000)
    scores = np.concatenate([fakes, reals])
    labels = np.concatenate([np.ones(5000), np.zeros(5000)])
    true_log10 = 2 * scores / math.log(10)
    _, ece_true = reliability(true_log10, labels)
    _, ece_overstated = reliability(3 * true_log10, labels)
    assert ece_true < 0.02
    assert ece_overstated > 0.05
