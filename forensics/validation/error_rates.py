"""Error rates with Wilson score intervals (good at small n and at rates near 0 or 1)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def rate_interval(errors: int, n: int, z: float = Z95) -> dict[str, float | int]:
    """Proportion errors/n with its 95% Wilson interval; n = 0 gives an empty interval."""
    if n == 0:
        return {"errors": 0, "n": 0, "rate": 0.0, "low": 0.0, "high": 1.0}
    p = errors / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return {"errors": errors, "n": n, "rate": p,
            "low": max(0.0, centre - half), "high": min(1.0, centre + half)}
