"""Server-driven timer ticks for one session."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from reactive_blocks.declaration import Component, Listener

if TYPE_CHECKING:
    from reactive_blocks.session._session import Session


class Ticker:
    """Fires each timer's ``tick`` listeners for one session, on time.

    A tick that comes due while the previous tick's run is still live is
    skipped rather than queued, so a slow listener never builds a backlog,
    and ticks missed while the loop was stalled are dropped, not caught up.
    A tick is skipped too while the session's client takes nothing (its
    socket lost, full, or its acks far behind): in Gradio the page drives
    timers, so a vanished or frozen tab costs no runs, and here it costs
    none either.
    Interval and ``active`` are read from the session on every cycle, so a
    listener can pause a timer or change its pace.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one loop per timer that has tick listeners."""
        graph = self._session.runtime.graph
        loop = asyncio.get_running_loop()
        for component in self._session.runtime.spec.components.values():
            listeners = graph.fired_by(component.id, "tick")
            if listeners:
                self._tasks.append(loop.create_task(self._run(component, listeners)))

    async def stop(self) -> None:
        """Stop every timer of the session at once."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self, timer: Component, listeners: tuple[Listener, ...]) -> None:
        session = self._session
        scheduler = session.runtime.scheduler
        loop = asyncio.get_running_loop()
        due = loop.time() + session.value(timer.id)
        while session.is_open:
            await asyncio.sleep(max(0.0, due - loop.time()))
            if (
                session.is_open
                and session.prop(timer.id, "active")
                and not session.outbox.stalled
            ):
                for listener in listeners:
                    if not scheduler.busy(session, listener):
                        scheduler.submit(session, listener)
            interval = session.value(timer.id)
            due += interval
            if due <= loop.time():
                # Behind after a stall: skip the missed ticks instead of firing
                # them in a burst (the dashboard benchmark saw 23 ticks/s at 20 Hz).
                due = loop.time() + interval
