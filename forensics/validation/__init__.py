"""Validation of detectors: metrics (AUC, EER, Cllr) and, later, calibration and dossiers."""

from forensics.validation.metrics import Interval, bootstrap_auc, cllr, eer, roc_auc

__all__ = ["Interval", "bootstrap_auc", "cllr", "eer", "roc_auc"]
