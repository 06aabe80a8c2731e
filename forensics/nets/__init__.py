"""Neural network definitions of the detectors (architectures, Grad-CAM); they import
torch, so detectors import them only when they run."""

import os

ENV_THREADS = "FORENSICS_THREADS"


def compute_threads() -> int:
    """Threads one network may use: $FORENSICS_THREADS (set by `forensics worker`, so
    that N worker processes share the cores), else every core."""
    value = os.environ.get(ENV_THREADS, "")
    return int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1


def limit_threads(threads: int) -> None:
    """Give this process's networks ``threads`` threads (torch, OpenMP, onnxruntime):
    what one of N processes sharing the cores should use."""
    os.environ[ENV_THREADS] = os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    torch.set_num_threads(threads)
