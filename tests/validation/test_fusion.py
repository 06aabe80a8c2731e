"""Fusion with known answers: redundant detectors are not double-counted."""

import math

import numpy as np
import pytest

from forensics.detectors.fusion import state
from forensics.model import Verdict
from forensics.validation.fusion import fit_fusion


def _gaussian_llr(rng, n, shift):
    """Calibrated log10 LRs of a detector whose scores are N(+-shift, 1)."""
    fakes = rng.normal(shift, 1, n)
    reals = rng.normal(-shift, 1, n)
    scores = np.concatenate([fakes, reals])
    return 2 * shift * scores / math.log(10)


def test_two_independent_detectors_add_up():
    rng = np.random.default_rng(0)
    n = 3000
    a, b = _gaussian_llr(rng, n, 1.0), _gaussian_llr(rng, n, 1.0)
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    model = fit_fusion(["a", "b"], np.column_stack([a, b]), labels)
    assert model.weights == pytest.approx((1.0, 1.0), abs=0.1)
    assert model.intercept == 0.0


def test_no_lr_at_all_stays_no_evidence_even_if_the_data_are_lopsided():
    # reals never get an LR, fakes sometimes do: "no LR" must not become authenticity
    rng = np.random.default_rng(3)
    fakes = np.where(rng.random(300) < 0.5, 1.3, np.nan)
    reals = np.full(600, np.nan)
    model = fit_fusion(["metadata"], np.concatenate([fakes, reals])[:, None],
                       np.concatenate([np.ones(300), np.zeros(600)]))
    assert model.fuse({"metadata": None}) == 0.0
    assert model.fuse({"metadata": 1.3}) > 0


def test_a_duplicated_detector_is_not_counted_twice():
    rng = np.random.default_rng(1)
    n = 3000
    a = _gaussian_llr(rng, n, 1.0)
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    model = fit_fusion(["a", "copy"], np.column_stack([a, a]), labels)
    assert sum(model.weights) == pytest.approx(1.0, abs=0.1)


def test_statement_uses_only_detectors_that_gave_an_lr():
    rng = np.random.default_rng(2)
    n = 500
    a, b = _gaussian_llr(rng, n, 1.0), _gaussian_llr(rng, n, 1.0)
    labels = np.concatenate([np.ones(n), np.zeros(n)])
    model = fit_fusion(["a", "b"], np.column_stack([a, b]), labels)
    only_a = state(model, {"a": 1.5, "b": None})
    assert only_a.contributions["b"] == 0.0
    assert only_a.verdict == Verdict.SUPPORTS_MANIPULATION
    nothing = state(model, {"a": None, "b": None})
    assert nothing.log10_lr is None and nothing.verdict == Verdict.INCONCLUSIVE
    assert state(None, {"a": 1.0}).verdict == Verdict.NOT_VALIDATED
