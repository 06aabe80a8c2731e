"""Neural network definitions of the detectors (architectures, Grad-CAM); they import
torch, so detectors import them only when they run."""

import os

ENV_THREADS = "FORENSICS_THREADS"


def compute_threads() -> int:
    """Threads one network may use: $FORENSICS_THREADS (set by `forensics worker`, so
    that N worker processes share the cores), else every core."""
    value = os.environ.get(ENV_THREADS, "")
    return int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1


def share_cores(threads: int) -> None:
    """Ask the networks of this process and of those it starts for ``threads`` threads
    (OpenMP and onnxruntime read the environment; torch reads it when first imported)."""
    os.environ[ENV_THREADS] = os.environ["OMP_NUM_THREADS"] = str(threads)


def limit_threads(threads: int) -> None:
    """Give this process's networks ``threads`` threads (torch, OpenMP, onnxruntime):
    what one of N processes sharing the cores should use."""
    share_cores(threads)
    import torch

    torch.set_num_threads(threads)
