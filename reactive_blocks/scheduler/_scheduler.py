"""The scheduler: admits triggers, queues them by concurrency group, runs them.

One scheduler serves every session of an app. It enforces, whichever client
a trigger comes from:

* ``trigger_mode`` per session and listener, through a *slot*: the live
  events of one listener for one session. ``once`` refuses a trigger while
  the slot holds any; ``multiple`` admits all; ``always_last`` keeps at most
  one waiting event, replaced by each newer trigger, run after the running one.
* concurrency groups: a group runs at most its limit of events at a time,
  across sessions, served in arrival order.
* ``queue(max_size=…)``: a trigger beyond it is refused.
* ``cancels=``: queued events leave the queue, running ones are cancelled.
* ``batch=True``: queued events of one listener run as one call.
* ``.then/.success/.failure`` chains.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Final

from reactive_blocks.declaration import Listener
from reactive_blocks.errors import Error
from reactive_blocks.graph import Graph
from reactive_blocks.log import scheduler_logger as log
from reactive_blocks.scheduler._context import RunContext, current_run
from reactive_blocks.scheduler._conversion import (
    Converted,
    ConvertedBatch,
    batch_columns,
    call_batch_converting,
    call_converting,
    converts_in_call,
    prepared_inputs,
)
from reactive_blocks.scheduler._event import FROM_SESSION, Event, EventOwner, Outcome
from reactive_blocks.scheduler._executor import Executor
from reactive_blocks.scheduler._outputs import OutputChange, output_changes, split_batch
from reactive_blocks.scheduler._progress import (
    Progress,
    progress_parameters,
    tracking_tqdm,
)

Entry = list  # a one-item list holding a queued Event, or None once it left


#: Seconds between pushes of new queue positions to a group's waiting events.
POSITION_INTERVAL: Final = 0.1


class TimeLimitReached(Exception):
    """A listener's function ran past its ``time_limit`` and was stopped."""


class Refusal(Exception):
    """Why a trigger was refused: a code for clients and a sentence for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Group:
    """A concurrency group: its limit, its running count and its queue."""

    __slots__ = ("limit", "name", "positions_pending", "queue", "queued", "running")

    def __init__(self, name: str, limit: int | None) -> None:
        self.name = name
        self.limit = limit
        self.positions_pending = False
        self.running = 0
        self.queued = 0
        self.queue: deque[Entry] = deque()

    def has_room(self) -> bool:
        return self.limit is None or self.running < self.limit


class Scheduler:
    """Runs listener events for every session of one app.

    Args:
        graph: The app's listener graph.
        executor: Where functions run.
        max_size: The most events queued at once, over all groups; None for no limit.
        clock: Returns seconds; injectable so time-dependent behaviour is testable.
        position_interval: Seconds between pushes of new queue positions.
    """

    def __init__(
        self,
        graph: Graph,
        executor: Executor,
        *,
        max_size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        position_interval: float = POSITION_INTERVAL,
    ) -> None:
        self.graph = graph
        self.executor = executor
        self.max_size = max_size
        self.clock = clock
        self.position_interval = position_interval
        self._groups = {
            name: _Group(name, limit) for name, limit in graph.groups.limits.items()
        }
        self._slots: dict[tuple[str, int], list[Event]] = {}
        self._owned: dict[str, set[Event]] = {}
        self._runs: set[asyncio.Future[Any]] = set()
        self._direct: dict[int, bool] = {}
        self._converting: dict[int, bool] = {}
        self._queued_total = 0
        self._progress_cache: dict[int, dict[str, Progress]] = {}
        self._durations = Durations()

    # -- admission -----------------------------------------------------------

    def submit(
        self,
        owner: EventOwner,
        listener: Listener,
        *,
        ref: Any = None,
        inputs: list[Any] | None = None,
        depth: int = 0,
        path: tuple[int, ...] = (),
    ) -> Event:
        """Admit one trigger of ``listener`` for ``owner``.

        The returned event has already reported its first stage, or its
        terminal message when refused.
        """
        event = Event(owner, listener, ref=ref, inputs=inputs, depth=depth, path=path)
        key = (owner.key, listener.id)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = []

        if listener.trigger_mode == "once" and slot:
            pending = (
                f"listener {listener.name} is already pending (trigger_mode='once')"
            )
            return self._refuse(event, Refusal("pending", pending))
        if (
            listener.trigger_mode == "always_last"
            and slot
            and self._replace_waiting(slot, event)
        ):
            self._cancel_targets(owner, listener)
            return event
        if (
            listener.queue
            and self.max_size is not None
            and self._queued_total >= self.max_size
        ):
            return self._refuse(
                event, Refusal("queue_full", "the queue is full; try again in a moment")
            )

        slot.append(event)
        owned = self._owned.get(owner.key)
        if owned is None:
            owned = self._owned[owner.key] = set()
        owned.add(event)
        if listener.cancels:
            self._cancel_targets(owner, listener)

        if listener.trigger_mode == "always_last" and any(
            e.stage == "running" for e in slot
        ):
            event.stage = "held"
            owner.event_status(event, "queued")
        elif not listener.queue:
            self._start([event], None)
        else:
            self._enqueue(event)
        return event

    def busy(self, owner: EventOwner, listener: Listener) -> bool:
        """Whether ``listener`` has a queued, held or running event for ``owner``."""
        return bool(self._slots.get((owner.key, listener.id)))

    def _replace_waiting(self, slot: list[Event], event: Event) -> bool:
        """Put ``event`` in the place of the slot's waiting event, if it has one."""
        waiting = next((e for e in slot if e.stage in ("queued", "held")), None)
        if waiting is None:
            return False

        slot[slot.index(waiting)] = event
        owned = self._owned[event.owner.key]
        owned.discard(waiting)
        owned.add(event)
        event.stage, event.entry, event.group, event.position = (
            waiting.stage,
            waiting.entry,
            waiting.group,
            waiting.position,
        )
        if waiting.entry is not None:
            waiting.entry[0] = event
        waiting.stage, waiting.entry = "ended", None

        replaced = Refusal(
            "replaced", "replaced by a newer trigger (trigger_mode='always_last')"
        )
        waiting.owner.event_ended(waiting, "refused", replaced, None)
        eta = self._eta(event, self._groups[event.group]) if event.entry else None
        event.owner.event_status(event, "queued", event.position, eta)
        return True

    def _refuse(self, event: Event, reason: Refusal) -> Event:
        event.stage = "ended"
        if log.isEnabledFor(10):
            log.debug("session %s: refused %r: %s", event.owner.key, event, reason)
        event.owner.event_ended(event, "refused", reason, None)
        return event

    def _enqueue(self, event: Event) -> None:
        group = self._groups[self.graph.groups.group_of(event.listener.id)]
        event.group = group.name
        if not group.queued and group.has_room():
            # Nothing waits and there is room: the queue would hand it straight
            # back, after arming a push of positions to nobody.
            self._start([event], group)
            return

        event.entry = [event]
        group.queue.append(event.entry)
        group.queued += 1
        self._queued_total += 1
        if not (group.has_room() and group.queued == 1):
            event.position = group.queued - 1
            event.owner.event_status(
                event, "queued", event.position, self._eta(event, group)
            )
        self._dispatch(group)

    # -- running -------------------------------------------------------------

    def _eta(self, event: Event, group: _Group) -> float | None:
        """Seconds until ``event`` likely starts, from past run times."""
        average = self._durations.estimate(event.listener.id)
        if average is None or event.position is None:
            return None
        return average * (event.position // (group.limit or 1) + 1)

    def _positions_changed(self, group: _Group) -> None:
        """Push new queue positions to a group's waiting events, now and then.

        Pushing on every start cost 11 ms of server CPU per event with 200
        waiting (the batching benchmark); each event's first message still
        carries its position at once.
        """
        if group.positions_pending or not group.queued:
            return
        group.positions_pending = True
        loop = asyncio.get_running_loop()
        if self.position_interval > 0:
            loop.call_later(self.position_interval, self._push_positions, group)
        else:
            loop.call_soon(self._push_positions, group)

    def _push_positions(self, group: _Group) -> None:
        group.positions_pending = False
        position = 0
        for entry in group.queue:
            event = entry[0]
            if event is None:
                continue
            if event.position != position and event.owner.is_open:
                event.position = position
                eta = self._eta(event, group)
                event.owner.event_status(event, "queued", position, eta)
            position += 1

    def _dispatch(self, group: _Group) -> None:
        """Start queued events of ``group`` while it has room, oldest first."""
        if group.queued:
            self._positions_changed(group)
        while group.has_room() and group.queue:
            entry = group.queue.popleft()
            event = entry[0]
            if event is None:
                continue
            batch = [event]
            if event.listener.batch:
                batch.extend(self._take_batch_mates(group, event))
            for member in batch:
                self._leave_queue(group, member)
            self._start(batch, group)

    def _take_batch_mates(self, group: _Group, first: Event) -> list[Event]:
        mates: list[Event] = []
        for entry in group.queue:
            if len(mates) + 1 >= first.listener.max_batch_size:
                break
            other = entry[0]
            if other is not None and other.listener is first.listener:
                mates.append(other)
        return mates

    def _leave_queue(self, group: _Group, event: Event) -> None:
        if event.entry is not None:
            event.entry[0] = None
            event.entry = None
            group.queued -= 1
            self._queued_total -= 1

    def _start(self, events: list[Event], group: _Group | None) -> None:
        # A session that began closing starts nothing more, whatever it queued.
        for event in events:
            if not event.owner.is_open:
                self._finish(event, "cancelled", None)
        events = [e for e in events if e.stage != "ended"]
        if not events:
            return

        for event in events:
            event.stage = "running"
            event.owner.event_status(event, "running")
        if group is not None:
            group.running += 1

        if self._runs_direct(events[0].listener):
            self._call_direct(events, group)
        else:
            self._spawn(events, group, self._run(events, group))

    def _spawn(
        self,
        events: list[Event],
        group: _Group | None,
        run: Coroutine[Any, Any, None],
    ) -> None:
        task = asyncio.get_running_loop().create_task(run)
        for event in events:
            event.run, event.batch = task, events
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        task.add_done_callback(functools.partial(self._never_ran, events, group))

    def _never_ran(
        self, events: list[Event], group: _Group | None, task: asyncio.Task[None]
    ) -> None:
        # A task cancelled before its first step never enters _run, whose
        # finally would otherwise free the group and end the events.
        if task.cancelled():
            self._wrap_up(events, group, "cancelled", None)

    async def _run(
        self,
        events: list[Event],
        group: _Group | None,
        returned: Iterator[Any] | AsyncIterator[Any] | None = None,
    ) -> None:
        """Run the listener for ``events``, or stream the generator it ``returned``."""
        listener = events[0].listener
        outcome: Outcome = "done"
        error: BaseException | str | None = None
        current_run.set(RunContext(events, asyncio.get_running_loop()))
        started = self.clock()
        try:
            if returned is None:
                await self.call_in_time(listener, events)
            else:
                await self._stream(events[0], returned)
        except (Exception, asyncio.CancelledError, SystemExit) as exc:
            outcome, error = _failure(listener, exc)
        finally:
            self._end_run(events, group, started, outcome, error)

    def _runs_direct(self, listener: Listener) -> bool:
        """Whether a run of ``listener`` is one call that its future ends.

        Such a run needs no task: the call's future reports straight to
        the scheduler. A task per event added two loop steps and four
        nested coroutines, and started the call one step late. Without it,
        and with the outbox writing without a task, a round trip's p50 fell
        from 0.38 to 0.25 ms and its server CPU from 0.29 to 0.17 ms in the
        benchmark. Batches, time limits, progress trackers and generators
        keep their task.
        """
        direct = self._direct.get(listener.id)
        if direct is None:
            fn = listener.fn
            direct = (
                fn is not None
                and not listener.batch
                and listener.time_limit is None
                and not _is_generator_function(fn)
                and not self._progress_parameters(listener)
            )
            self._direct[listener.id] = direct
        return direct

    def _call_direct(self, events: list[Event], group: _Group | None) -> None:
        event = events[0]
        listener = event.listener
        assert listener.fn is not None
        started = self.clock()
        # The executor starts the call in a copy of this context, which names
        # the run; setting and resetting it here is cheaper than a copy of our
        # own to start it in.
        token = current_run.set(RunContext(events, asyncio.get_running_loop()))
        try:
            call = self._execute(listener, event)
        except Exception as exc:
            self._end_run(events, group, started, *_failure(listener, exc))
            return
        finally:
            current_run.reset(token)

        event.run, event.batch = call, events
        self._runs.add(call)
        call.add_done_callback(functools.partial(self._called, events, group, started))

    def _called(
        self,
        events: list[Event],
        group: _Group | None,
        started: float,
        call: asyncio.Future[Any],
    ) -> None:
        """The end of a direct run: apply what the function returned."""
        self._runs.discard(call)
        listener = events[0].listener
        if events[0].run is not call:
            # Cancelled after the call returned, while this callback waited.
            self._end_run(events, group, started, "cancelled", None)
            return
        try:
            result = call.result()
            if type(result) is not Converted and (
                inspect.isgenerator(result) or inspect.isasyncgen(result)
            ):
                # A plain function that returned a generator streams it in a task.
                self._spawn(events, group, self._run(events, group, result))
                return
            self._apply(events[0], result)
        except (Exception, asyncio.CancelledError, SystemExit) as exc:
            self._end_run(events, group, started, *_failure(listener, exc))
            return
        self._end_run(events, group, started, "done", None)

    def _end_run(
        self,
        events: list[Event],
        group: _Group | None,
        started: float,
        outcome: Outcome,
        error: BaseException | str | None,
    ) -> None:
        """Time a run that ended done, then wrap it up, however it ended."""
        if outcome == "done":
            self._durations.record(events[0].listener.id, self.clock() - started)
        self._wrap_up(events, group, outcome, error)

    def _wrap_up(
        self,
        events: list[Event],
        group: _Group | None,
        outcome: Outcome,
        error: BaseException | str | None,
    ) -> None:
        """Free the group's place, end the run's events, start what waits."""
        if group is not None:
            group.running -= 1
        for event in events:
            if event.stage != "ended":
                self._finish(event, outcome, error)
        if group is not None:
            self._dispatch(group)

    async def call_in_time(self, listener: Listener, events: list[Event]) -> None:
        """Run ``listener``'s function for ``events`` within its ``time_limit``.

        A generator stopped by its time limit ends normally, keeping its last
        value; any other function raises TimeLimitReached.
        """
        if listener.time_limit is None:
            await self._call(listener, events)
            return
        try:
            await asyncio.wait_for(self._call(listener, events), listener.time_limit)
        except asyncio.TimeoutError as exc:
            # wait_for raises its TimeoutError from the call it cancelled; any
            # other TimeoutError is the function's own error.
            if not isinstance(exc.__cause__, asyncio.CancelledError):
                raise
            if not _is_generator_function(listener.fn):
                raise TimeLimitReached(
                    f"listener {listener.name} ran longer than its time_limit of "
                    f"{listener.time_limit} s and was stopped"
                ) from None

    async def _call(self, listener: Listener, events: list[Event]) -> None:
        if listener.fn is None:
            # A listener without a function only applies the output values its
            # js computed in the browser; triggered otherwise, it does nothing.
            # The page holds no State, so a State output keeps its value.
            for event in events:
                if event.inputs is not None:
                    computed = {
                        c: v
                        for c, v in zip(listener.outputs, event.inputs, strict=True)
                        if v is not FROM_SESSION
                    }
                    if computed:
                        self._apply(event, computed)
            return

        if listener.batch:
            await self._call_batch(listener, events)
            return

        event = events[0]
        kwargs = {
            name: Progress(track_tqdm=default.track_tqdm)
            for name, default in self._progress_parameters(listener).items()
        }
        if any(p.track_tqdm for p in kwargs.values()):
            with tracking_tqdm(next(iter(kwargs.values()))):
                result = await self._execute(listener, event, kwargs)
        else:
            result = await self._execute(listener, event, kwargs)
        if inspect.isgenerator(result) or inspect.isasyncgen(result):
            await self._stream(event, result)
        else:
            self._apply(event, result)

    async def _call_batch(self, listener: Listener, events: list[Event]) -> None:
        batch = [self._input_values(e) for e in events]
        if self._converts_in_call(listener):
            result = await self.executor.call(call_batch_converting, [listener, batch])
        else:
            assert listener.fn is not None
            result = await self.executor.call(
                listener.fn, batch_columns(listener, batch)
            )
        if isinstance(result, ConvertedBatch):
            items: list[Any] = result.items
        else:
            items = split_batch(listener, result, len(events))
        for event, item in zip(events, items, strict=True):
            self._apply(event, item)

    def _execute(
        self, listener: Listener, event: Event, kwargs: dict[str, Any] | None = None
    ) -> asyncio.Future[Any]:
        """Start one call of ``listener``'s function for ``event``."""
        values = self._input_values(event)
        if self._converts_in_call(listener):
            return self.executor.call(call_converting, [listener, values, kwargs])
        assert listener.fn is not None
        return self.executor.call(
            listener.fn, prepared_inputs(listener, values), kwargs
        )

    def _converts_in_call(self, listener: Listener) -> bool:
        converts = self._converting.get(listener.id)
        if converts is None:
            converts = self._converting[listener.id] = converts_in_call(listener)
        return converts

    async def _stream(
        self, event: Event, generator: Iterator[Any] | AsyncIterator[Any]
    ) -> None:
        """Apply every yield as a wave, and a returned value as the last one."""
        steps = self.executor.stream(generator)
        try:
            async for more, value in steps:
                if more or value is not None:
                    self._apply(event, value)
        finally:
            await steps.aclose()  # type: ignore[attr-defined]

    def _progress_parameters(self, listener: Listener) -> dict[str, Progress]:
        found = self._progress_cache.get(listener.id)
        if found is None:
            fn = listener.fn
            found = progress_parameters(fn) if fn is not None else {}
            self._progress_cache[listener.id] = found
        return found

    def _input_values(self, event: Event) -> list[Any]:
        """The values of the inputs of ``event``'s run, as stored: not prepared."""
        listener = event.listener
        given = event.inputs
        if given is None:
            return event.owner.read_values(listener.inputs)
        if len(listener.sent_inputs) != len(listener.inputs):
            # FROM_SESSION stands in for each State input.
            stored = event.owner.read_values(listener.inputs)
            return [
                s if v is FROM_SESSION else v
                for s, v in zip(stored, given, strict=True)
            ]
        return given

    def _apply(self, event: Event, result: Any) -> None:
        if event.stage != "running" or not event.owner.is_open:
            return
        if type(result) is Converted:
            changes: list[OutputChange] = result
        else:
            changes = output_changes(event.listener, result)
        event.owner.apply_outputs(event, changes)

    def _finish(
        self, event: Event, outcome: Outcome, error: BaseException | str | None
    ) -> None:
        """End ``event``: free its slot, send its terminal message, run followers."""
        event.stage = "ended"
        owner = event.owner
        slot = self._slots.get((owner.key, event.listener.id))
        if slot is not None and event in slot:
            slot.remove(event)
            if not slot:
                del self._slots[(owner.key, event.listener.id)]
        owned = self._owned.get(owner.key)
        if owned is not None:
            owned.discard(event)

        owner.event_ended(event, outcome, error, None)
        if slot and owner.is_open:
            self._release_held(slot)
        if owner.is_open:
            self._run_followers(event, outcome)

    def _release_held(self, slot: list[Event]) -> None:
        held = next((e for e in slot if e.stage == "held"), None)
        if held is not None and not any(e.stage == "running" for e in slot):
            held.stage = "queued"
            if held.listener.queue:
                self._enqueue(held)
            else:
                self._start([held], None)

    def _run_followers(self, event: Event, outcome: Outcome) -> None:
        for kind, follower in self.graph.followers(event.listener.id):
            if (
                kind == "then"
                or (kind == "success" and outcome == "done")
                or (kind == "failure" and outcome == "error")
            ):
                self.submit(event.owner, follower, depth=event.depth, path=event.path)

    # -- cancelling ----------------------------------------------------------

    def _cancel_targets(self, owner: EventOwner, listener: Listener) -> None:
        for target in listener.cancels:
            # Waiting events first: a running event that ends releases the
            # event held behind it (always_last), which would start.
            slot = self._slots.get((owner.key, target), ())
            for event in sorted(slot, key=lambda e: e.stage == "running"):
                self.cancel(event)

    def cancel(self, event: Event) -> None:
        """Cancel one event: dequeue it, or stop it if running. Harmless twice.

        The event ends at once, whenever its run stops: a trigger of its
        listener handled right after the cancel (Stop, then Run) is admitted
        as if it had stopped, even by ``trigger_mode="once"``. The run's
        concurrency place is given back a loop step later, once its task or
        future has taken the cancel (a sync function's thread runs on).
        """
        if event.stage in ("queued", "held"):
            if event.entry is not None:
                group = self._groups[event.group]
                self._leave_queue(group, event)
                self._positions_changed(group)
            self._finish(event, "cancelled", None)
        elif event.stage == "running" and event.run is not None:
            # A batch call goes on for its other callers; this one just leaves it.
            mates = [
                e
                for e in event.batch
                if e is not event and e.stage == "running" and e.owner.is_open
            ]
            if not mates and not event.run.cancel():
                # A direct run's call has returned and its callback is due:
                # it sees the run is no longer this call and ends it cancelled.
                event.run = None
            self._finish(event, "cancelled", None)

    def end_owner(self, owner: EventOwner) -> None:
        """Cancel everything a closed session has queued or running."""
        for event in list(self._owned.pop(owner.key, ())):
            self.cancel(event)

    async def drain(self) -> None:
        """Wait for every run to finish (used at shutdown)."""
        while self._runs:
            await asyncio.gather(*list(self._runs), return_exceptions=True)


def _failure(
    listener: Listener, exc: BaseException
) -> tuple[Outcome, BaseException | str | None]:
    """How a run that raised ``exc`` ends; an unexpected error is logged.

    A function's SystemExit (a stray ``sys.exit()``) is such an error: it
    ends the run, not the server.
    """
    if isinstance(exc, TimeLimitReached):
        return "error", str(exc)
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled", None
    if not isinstance(exc, Error):
        log.error("listener %s raised", listener.name, exc_info=exc)
    return "error", exc


def _is_generator_function(fn: Any) -> bool:
    return inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)


class Durations:
    """A moving average of each listener's run time, for wait estimates."""

    WEIGHT: Final = 0.2

    def __init__(self) -> None:
        self._average: dict[int, float] = {}

    def record(self, listener_id: int, seconds: float) -> None:
        old = self._average.get(listener_id)
        new = seconds if old is None else old + self.WEIGHT * (seconds - old)
        self._average[listener_id] = new

    def estimate(self, listener_id: int) -> float | None:
        return self._average.get(listener_id)
