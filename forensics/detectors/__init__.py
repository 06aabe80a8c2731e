"""Detectors: independent methods that each state findings about one evidence file."""

from forensics.detectors.base import Detector, DetectorConfig
from forensics.detectors.registry import available, get_detector, register

__all__ = ["Detector", "DetectorConfig", "available", "get_detector", "register"]
