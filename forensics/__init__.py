"""Deepfake forensics suite: evidence intake, custody chain, detectors and court reports."""

__version__ = "0.1.0"
