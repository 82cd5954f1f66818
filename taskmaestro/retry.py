"""Retries: how many more times a failing task runs, after how long, and for which errors.

A task class declares its policy with class attributes (``retries``,
``retry_delay_seconds``, ``retry_backoff``, ``retry_on``); one instance in a
workflow may replace it with ``add_task(..., retry=Retry(...))``. The runner
reads the resolved ``Retry`` of each task and calls ``run`` again when an
attempt raised one of the ``on`` exception types (or overran the task's own
``timeout_seconds``, a ``TaskTimeoutError``), until ``retries`` more attempts
have been made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

__all__ = ["MAX_RETRIES", "MAX_RETRY_DELAY_SECONDS", "NO_RETRY", "Retry", "retry_problem"]

MAX_RETRIES = 1000
"""The most retries a task may ask for: more is a mistake, not a policy."""

MAX_RETRY_DELAY_SECONDS = 86400.0
"""The longest wait before an attempt (one day); a backoff never grows beyond it."""


def retry_problem(
    retries: object, delay_seconds: object, backoff: object, on: object
) -> str | None:
    """Why these values make no retry policy, or ``None`` when they do."""
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        return f"retries must be an integer from 0 to {MAX_RETRIES}; got {retries!r}"
    if not _number_in(delay_seconds, 0.0, MAX_RETRY_DELAY_SECONDS):
        return (
            "retry_delay_seconds must be a finite number of seconds from 0 to "
            f"{MAX_RETRY_DELAY_SECONDS:g}; got {delay_seconds!r}"
        )
    if not _number_in(backoff, 1.0, 100.0):
        return f"retry_backoff must be a number from 1 (no backoff) to 100; got {backoff!r}"
    if not (
        isinstance(on, tuple)
        and on
        and all(isinstance(kind, type) and issubclass(kind, BaseException) for kind in on)
    ):
        return f"retry_on must be a non-empty tuple of exception classes; got {on!r}"
    return None


def _number_in(value: object, low: float, high: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    number = float(value)
    return math.isfinite(number) and low <= number <= high


@dataclass(frozen=True, slots=True)
class Retry:
    """A retry policy: ``retries`` more attempts after the first, for the errors ``on``.

    Before attempt ``n + 1`` the runner waits ``delay_seconds * backoff ** (n - 1)``
    seconds (``backoff=1``: a constant delay; ``2``: doubling), at most
    ``MAX_RETRY_DELAY_SECONDS``. Invalid values raise ``ValueError``.
    """

    retries: int = 0
    delay_seconds: float = 0.0
    backoff: float = 1.0
    on: tuple[type[BaseException], ...] = (Exception,)

    def __post_init__(self) -> None:
        problem = retry_problem(self.retries, self.delay_seconds, self.backoff, self.on)
        if problem is not None:
            raise ValueError(problem)

    def allows(self, error: BaseException, attempt: int) -> bool:
        """Whether attempt number ``attempt`` (from 1), which raised ``error``, is retried."""
        return attempt <= self.retries and isinstance(error, self.on)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` failed, before the next one."""
        if not self.delay_seconds:
            return 0.0
        try:
            seconds = self.delay_seconds * self.backoff ** (attempt - 1)
        except OverflowError:
            return MAX_RETRY_DELAY_SECONDS
        return min(seconds, MAX_RETRY_DELAY_SECONDS)


NO_RETRY = Retry()
"""The default policy: one attempt."""
