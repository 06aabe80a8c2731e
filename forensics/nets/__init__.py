"""Neural network models of the detectors (architectures, Grad-CAM, face-crop input)."""

from forensics.nets.meso import (
    ARCHITECTURE,
    INPUT_SIZE,
    Meso4,
    parameter_count,
    predict_logits,
    to_tensor,
)

__all__ = ["ARCHITECTURE", "INPUT_SIZE", "Meso4", "parameter_count", "predict_logits", "to_tensor"]
