"""Waiting on conditions in tests, with a deadline instead of a fixed sleep."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Final

TIMEOUT: Final = 10.0


async def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.002)


async def wait_event(event: threading.Event, timeout: float = TIMEOUT) -> None:
    """Return once a thread-side event is set; fail after ``timeout`` seconds."""
    assert await asyncio.to_thread(event.wait, timeout), "event not set in time"
