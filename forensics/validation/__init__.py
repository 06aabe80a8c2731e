"""Validation of detectors: metrics (AUC, EER, Cllr), calibration to likelihood ratios,
validation records and fusion. Import the submodules directly (this package imports
nothing, so evidence intake does not load SciPy)."""
