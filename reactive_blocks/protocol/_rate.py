"""The token bucket behind the socket's message rate limit (docs/protocol.md).

The server refuses what goes over the limit; the Python client waits on a
slower bucket of its own, so that it never reaches the server's.
"""

from __future__ import annotations

import time


class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``; one per message."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last = time.monotonic()

    def take(self) -> bool:
        """Take a token if one is there."""
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait_time(self) -> float:
        """Seconds until a token is there; 0 when one is."""
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
