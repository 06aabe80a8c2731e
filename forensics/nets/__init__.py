"""Neural network definitions of the detectors (architectures, Grad-CAM); they import
torch, so detectors import them only when they run."""
