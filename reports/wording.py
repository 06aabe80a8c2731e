"""Numbers as a report should print them: rounded to what they can support.

A likelihood ratio from a calibration fitted on a few hundred items is known to within
tens of percent, so it is printed to two significant digits ("about 25"), its log10 to
one decimal; scores and measurements to three significant digits. The embedded case
data keeps every value exactly.
"""

from __future__ import annotations

import math
from typing import Any

NEAR_ONE_LOG10 = 0.0414  #: log10(1.1)
MAX_LIST_VALUES = 8  #: values of a list (e.g. per-frame scores) printed before "... N more"


def significant(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, without an exponent between 1e-4 and 1e7."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -4 or magnitude >= 7:
        return f"{value:.{digits - 1}e}"
    rounded = round(value, digits - 1 - magnitude)  # negative: rounds to tens, hundreds ...
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def likelihood_ratio(log10_lr: float) -> str:
    """The LR in words-ready form: "25", "1/25", "3,200,000" (two significant digits);
    "1" within 10% of one, where the direction means nothing."""
    if abs(log10_lr) < NEAR_ONE_LOG10:
        return "1"
    ratio = 10 ** abs(log10_lr)
    text = significant(ratio, 2) if ratio < 1e7 else f"10^{abs(log10_lr):.1f}"
    return text if log10_lr >= 0 else f"1/{text}"


def times_more_probable(log10_lr: float) -> str:
    """How many times more probable the findings are under the favoured proposition."""
    ratio = 10 ** abs(log10_lr)
    return significant(ratio, 2) if ratio < 1e7 else f"10^{abs(log10_lr):.1f}"


def log10_lr_text(log10_lr: float) -> str:
    """One decimal with its sign; 0.0 without one (not "-0.0")."""
    return "0.0" if round(log10_lr, 1) == 0 else f"{log10_lr:+.1f}"


def value_text(value: Any) -> str:
    """A detail value for a table: numbers rounded, long lists cut, nesting flattened."""
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, float):
        return significant(value)
    if isinstance(value, list):
        shown = [value_text(v) for v in value[:MAX_LIST_VALUES]]
        more = len(value) - len(shown)
        return ", ".join(shown) + (f" ... ({more} more; all {len(value)} in the embedded data)"
                                   if more > 0 else "")
    return str(value)
