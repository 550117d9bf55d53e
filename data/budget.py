"""A time budget that long computations check between bounded steps.

Python threads cannot be stopped from outside, so expensive work stops itself: the
code that runs it calls :meth:`Budget.check` between steps that each take a bounded
time (one Dijkstra search, one batch of shapely buffers, one union of a chunk of
polygons, one solver run whose time limit comes from :meth:`Budget.remaining`). A
check raises :class:`BudgetExceededError` once the deadline has passed, or
:class:`WorkCancelledError` once :meth:`Budget.cancel` was called (from another thread,
e.g. when the client that asked has disconnected).

The primitive lives in ``data`` so that ``routing`` and ``layers`` can both use it
without importing each other or the web layer. Code that takes a budget defaults to
:data:`UNLIMITED`, whose checks never raise.

Examples
--------
>>> budget = Budget(10.0, label="the analysis")
>>> for batch in range(3):
...     budget.check()  # raises once 10 s have passed or the budget was cancelled
>>> budget.checkpoints
3
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = [
    "UNLIMITED",
    "Budget",
    "BudgetExceededError",
    "WorkCancelledError",
    "WorkStoppedError",
]


class WorkStoppedError(Exception):
    """A computation stopped at a checkpoint before it finished."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class BudgetExceededError(WorkStoppedError):
    """The computation ran past its time budget."""


class WorkCancelledError(WorkStoppedError):
    """The computation was cancelled (e.g. the client disconnected)."""


class Budget:
    """A deadline and a cancel flag, checked cooperatively.

    Parameters
    ----------
    seconds
        Time allowed from now; None for no deadline.
    label
        What the budget is for, used in the error message ("the analysis", ...).
    clock
        Monotonic clock in seconds (``time.monotonic``).

    Notes
    -----
    :meth:`cancel` may be called from any thread: it only sets attributes, and
    :meth:`check` reads them. ``checkpoints`` counts the checks that passed, so a
    caller can see that the work has stopped (the count no longer grows).
    """

    def __init__(
        self,
        seconds: float | None,
        *,
        label: str = "the request",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds is not None and not (seconds > 0 and math.isfinite(seconds)):
            msg = f"a budget must be a finite number of seconds > 0, got {seconds}"
            raise ValueError(msg)
        self.seconds = seconds
        self.label = label
        self._clock = clock
        self.started = clock()
        self.deadline = math.inf if seconds is None else self.started + seconds
        self.cancelled_reason: str | None = None
        self.checkpoints = 0

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self.cancelled_reason is not None

    def cancel(self, reason: str = "the work was cancelled") -> None:
        """Make the next :meth:`check` raise :class:`WorkCancelledError` (thread-safe)."""
        if self.cancelled_reason is None:
            self.cancelled_reason = reason

    def remaining(self) -> float:
        """Seconds left before the deadline (``inf`` without one, 0 once past it)."""
        return max(0.0, self.deadline - self._clock())

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return self._clock() - self.started

    def exceeded(self) -> BudgetExceededError:
        """The error that says the budget ran out (for callers that stop on their own,
        e.g. a solver that reached the time limit taken from :meth:`remaining`)."""
        msg = (
            f"{self.label} took longer than its {self.seconds:g} s budget and was stopped; "
            "ask a smaller question (fewer or shorter thresholds, fewer candidates or "
            "points) or try again later"
        )
        return BudgetExceededError(msg)

    def check(self) -> None:
        """Raise when cancelled or past the deadline; otherwise count the checkpoint.

        Raises
        ------
        WorkCancelledError
            :meth:`cancel` was called.
        BudgetExceededError
            The deadline has passed.
        """
        if self.cancelled_reason is not None:
            raise WorkCancelledError(self.cancelled_reason)
        if self._clock() > self.deadline:
            raise self.exceeded()
        self.checkpoints += 1


class _Unlimited(Budget):
    """A budget without deadline that cannot be cancelled (the default everywhere)."""

    def __init__(self) -> None:
        super().__init__(None, label="unlimited")

    def cancel(self, reason: str = "") -> None:
        """Do nothing: the shared unlimited budget is never cancelled."""

    def check(self) -> None:
        """Never raise (and do not count: the object is shared between threads)."""


UNLIMITED: Budget = _Unlimited()
"""The budget of work that runs to its end (CLI, tests, library use)."""
