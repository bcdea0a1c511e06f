"""Counting the calls of a function that run at once, from any thread."""

from __future__ import annotations

import threading


class InFlight:
    """Counts the calls of a function running at once, and the peak.

    Used as ``with running:`` around the body of the function under test.
    """

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1
