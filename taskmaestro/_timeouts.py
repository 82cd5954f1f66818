"""What a ``timeout_seconds`` may be: a finite number of seconds above 0, at most a maximum.

The deadline mechanism (``signal.setitimer``, ``threading`` waits) refuses
values that are too large with an ``OverflowError`` from deep inside, and NaN
or infinity make no deadline at all; so every place that takes a timeout checks
it where it is given, and raises the library's own error naming it.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["MAX_TIMEOUT_SECONDS", "timeout_problem"]

MAX_TIMEOUT_SECONDS = 1e9
"""The largest timeout accepted: about 31 years. ``None`` means no timeout at all."""


def timeout_problem(value: object) -> str | None:
    """Why ``value`` is not a valid ``timeout_seconds`` (``None`` is valid), or ``None``."""
    if value is None:
        return None
    if isinstance(value, Real) and not isinstance(value, bool):
        seconds = float(value)
        if math.isfinite(seconds) and 0 < seconds <= MAX_TIMEOUT_SECONDS:
            return None
    return (
        "timeout_seconds must be a positive, finite number of seconds "
        f"(at most {MAX_TIMEOUT_SECONDS:g}) or None; got {value!r}"
    )
