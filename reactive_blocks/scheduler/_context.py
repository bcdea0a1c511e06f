"""The run a user function belongs to, reachable from inside it.

``gr.Warning``, ``gr.Info`` and ``gr.Progress`` report to the run that
called them. The run is found through a context variable, which the
executor carries into worker threads, and reports hop back to the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reactive_blocks.scheduler._event import Event


class RunContext:
    """One running call of a listener function: its events and its loop."""

    def __init__(self, events: list[Event], loop: asyncio.AbstractEventLoop) -> None:
        self.events = events
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def post(self, report: Callable[[Event], None]) -> None:
        """Run ``report`` for each live event of this run, on the loop."""

        def deliver() -> None:
            for event in self.events:
                if event.stage == "running" and event.owner.is_open:
                    report(event)

        if threading.get_ident() == self._loop_thread:
            deliver()
        else:
            self.loop.call_soon_threadsafe(deliver)


current_run: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar(
    "reactive_blocks_current_run", default=None
)


def notify(level: str, message: str, duration: float | None = 10) -> None:
    """Show a toast in the page of the session whose listener is running."""
    run = current_run.get()
    if run is None:
        from reactive_blocks.log import scheduler_logger

        scheduler_logger.warning("%s outside a listener: %s", level, message)
        return
    run.post(lambda event: event.owner.notify(event, level, message, duration))


def Warning(message: str = "Warning issued.", duration: float | None = 10) -> None:
    """Show a warning toast in the page, without stopping the listener.

    Example:
        >>> def check(x):
        ...     if x < 0:
        ...         gr.Warning("x is negative; using its absolute value")
        ...     return abs(x)

    Args:
        message: The text shown.
        duration: Seconds the toast stays; None keeps it until closed.
    """
    notify("warning", message, duration)


def Info(message: str = "Info issued.", duration: float | None = 10) -> None:
    """Show an information toast in the page, without stopping the listener."""
    notify("info", message, duration)


def report_progress(update: dict[str, Any]) -> None:
    """Send a progress update for the running listener (see ``Progress``)."""
    run = current_run.get()
    if run is not None:
        run.post(lambda event: event.owner.progress(event, update))
