"""Running one listener directly: once, now, outside any session and the queue.

This is what an HTTP API call does when ``queue(api_open=True)`` allows it.
The run takes no place in a concurrency group and does not count against
``queue(max_size=…)``; it fires no ``change`` listeners and no
``.then/.success/.failure`` followers, and cancels nothing (there is no
session whose events it could reach). It still goes through the scheduler's
executor, its argument building and its output conversion, so a direct run
computes what a queued one would.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any, Final

from reactive_blocks.declaration import Component, Listener
from reactive_blocks.errors import Error
from reactive_blocks.log import scheduler_logger as log
from reactive_blocks.scheduler._context import RunContext, current_run
from reactive_blocks.scheduler._event import Event, Outcome, Stage
from reactive_blocks.scheduler._outputs import OutputChange
from reactive_blocks.scheduler._scheduler import TimeLimitReached

if TYPE_CHECKING:
    from reactive_blocks.scheduler._scheduler import Scheduler

#: The owner key of direct runs; no session is ever minted with it.
DIRECT_KEY: Final = "direct"


class RunFailed(Exception):
    """A direct run ended in an error other than ``gr.Error``; it was logged.

    Attributes:
        cause: The exception the function raised, or a sentence saying why
            the run was stopped (its ``time_limit``), which is always shown.
    """

    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _DirectOwner:
    """The ``EventOwner`` of a direct run: values start at the app's initial ones.

    There is no session, so inputs the caller cannot pass (``State``) read
    a fresh copy of the initial value, each output starts at its initial
    value, and every wave the function produces (each yield of a
    generator) updates them. Toasts and progress have nowhere to go and
    are dropped.
    """

    key = DIRECT_KEY
    is_open = True

    def __init__(self, initial_values: dict[int, Any]) -> None:
        self._initial = initial_values
        self._values: dict[int, Any] = {}
        self._ids = itertools.count(1)

    def value(self, component: Component) -> Any:
        if component.id in self._values:
            return self._values[component.id]
        initial = self._initial.get(component.id)
        return component.fresh_value(initial) if component.server_only else initial

    def next_event_id(self) -> int:
        return next(self._ids)

    def read_values(self, components: tuple[Component, ...]) -> list[Any]:
        return [self.value(c) for c in components]

    def apply_outputs(self, event: Event, changes: list[OutputChange]) -> None:
        for component, props in changes:
            if "value" in props:
                self._values[component.id] = props["value"]

    def event_status(
        self,
        event: Event,
        stage: Stage,
        position: int | None = None,
        eta: float | None = None,
    ) -> None:
        pass

    def notify(
        self, event: Event, level: str, message: str, duration: float | None
    ) -> None:
        pass

    def progress(self, event: Event, update: dict[str, Any]) -> None:
        pass

    def event_ended(
        self,
        event: Event,
        outcome: Outcome,
        error: BaseException | str | None,
        outputs: list[Any] | None,
    ) -> None:
        pass


async def run_directly(
    scheduler: Scheduler, listener: Listener, inputs: list[Any]
) -> list[Any]:
    """Run ``listener``'s function once and return its outputs' wire values.

    Sync functions run in the executor's threads, never on the loop, and the
    listener's ``time_limit`` applies. A generator's result is its last
    wave: the value of its last yield, or its return value when not None; a
    generator stopped by its ``time_limit`` keeps the last one, as a queued
    run does. ``State`` outputs are left out of the result, as in a
    session's ``call``.

    Args:
        scheduler: The app's scheduler, whose executor runs the function.
        listener: A listener with a Python function.
        inputs: One validated wire value per input of ``listener``;
            ``FROM_SESSION`` in the places of ``State`` inputs, which get a
            fresh copy of the State's initial value.

    Raises:
        reactive_blocks.Error: raised by the function, for its caller to show.
        RunFailed: any other error; already logged with its traceback.
    """
    assert listener.fn is not None, "only listeners with a function run directly"
    owner = _DirectOwner(scheduler.graph.spec.initial_values)
    event = Event(owner, listener, inputs=inputs)
    event.stage = "running"

    token = current_run.set(RunContext([event], asyncio.get_running_loop()))
    try:
        await _call_in_time(scheduler, listener, event)
    finally:
        current_run.reset(token)
        event.stage = "ended"
    return owner.read_values(listener.shown_outputs)


async def _call_in_time(scheduler: Scheduler, listener: Listener, event: Event) -> None:
    """Call the function as a queued run would, mapping failures as it does."""
    try:
        await scheduler.call_in_time(listener, [event])
    except TimeLimitReached as exc:
        raise RunFailed(str(exc)) from None
    except Error:
        raise
    except Exception as exc:
        log.error("listener %s raised", listener.name, exc_info=exc)
        raise RunFailed(exc) from exc
