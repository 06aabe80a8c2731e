"""Training of the detectors' learned parameters (one module per detector)."""
