"""Scheduler invariants under random interleavings, checked with hypothesis.

A state machine drives the real ``Scheduler`` over the real ``Graph`` of an
app with one listener per scheduling feature. Sessions are stand-in
``EventOwner``s that record every message; functions run in an ``Executor``
whose calls wait until the machine completes them, so the machine decides
every interleaving of triggers, completions, cancels and closes.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import reactive_blocks as gr
from reactive_blocks.declaration import Component, Listener
from reactive_blocks.graph import Graph
from reactive_blocks.scheduler import (
    Event,
    Outcome,
    OutputChange,
    Refusal,
    Scheduler,
    Stage,
)

SESSIONS: Final = 3
MAX_BATCH: Final = 3
PAIR_LIMIT: Final = 2
#: Loop iterations without news after which the loop counts as settled.
QUIET_SPINS: Final = 3
MAX_SPINS: Final = 500


def _build_app() -> gr.Blocks:
    """One listener per scheduling feature, each with its own input and output."""
    with gr.Blocks() as demo:

        def listen(name: str, **options: Any) -> gr.Dependency:
            source = gr.Textbox(label=f"{name} in")
            target = gr.Textbox(label=f"{name} out")
            if options.get("batch"):

                def fn(tokens: list[str]) -> tuple[list[str]]:
                    return ([f"{name}<{t}>" for t in tokens],)

            else:

                def fn(token: str) -> str:
                    return f"{name}<{token}>"

            button = gr.Button(name)
            return button.click(fn, source, target, api_name=name, **options)

        listen("once", trigger_mode="once")
        listen("multiple", trigger_mode="multiple")
        listen("last", trigger_mode="always_last")
        pair = {"concurrency_id": "pair", "trigger_mode": "multiple"}
        left = listen("left", concurrency_limit=PAIR_LIMIT, **pair)
        listen("right", concurrency_limit=PAIR_LIMIT + 1, **pair)
        batch = listen(
            "batch", trigger_mode="multiple", batch=True, max_batch_size=MAX_BATCH
        )
        listen("canceller", trigger_mode="multiple", cancels=[left, batch])
    return demo


GRAPH: Final = Graph(_build_app().spec())
LISTENERS: Final = {ls.api_name: ls for ls in GRAPH.listeners}
BY_FN: Final = {ls.fn: ls for ls in GRAPH.listeners}
NAMES: Final = sorted(name for name in LISTENERS if name is not None)
#: A trigger of a listener by one of the sessions: (slot, name).
TRIGGERS: Final = st.tuples(st.integers(0, SESSIONS - 1), st.sampled_from(NAMES))

#: Outcomes each listener may end with while its session is open.
ALLOWED: Final[dict[str, set[tuple[Outcome, str | None]]]] = {
    "once": {("done", None), ("error", None), ("refused", "pending")},
    "multiple": {("done", None), ("error", None)},
    "last": {("done", None), ("error", None), ("refused", "replaced")},
    "left": {("done", None), ("error", None), ("cancelled", None)},
    "right": {("done", None), ("error", None)},
    "batch": {("done", None), ("error", None), ("cancelled", None)},
    "canceller": {("done", None), ("error", None)},
}


#: Checks the wait estimate sent with a queue position.
EtaCheck = Callable[[Event, int, float | None], None]


class Failure(Exception):
    """What a call the machine completes unsuccessfully raises."""


@dataclass
class Record:
    """What one owner was told about one event."""

    event: Event
    stages: list[Stage] = field(default_factory=list)
    positions: list[int | None] = field(default_factory=list)
    ends: list[Outcome] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return not self.ends

    @property
    def waiting(self) -> bool:
        return self.live and bool(self.stages) and self.stages[-1] == "queued"


class Owner:
    """A session stand-in: holds values, applies outputs, records every message."""

    def __init__(self, key: str, problems: list[str], check_eta: EtaCheck) -> None:
        self.key = key
        self.state = "open"
        self.values: dict[int, Any] = {}
        self.records: dict[int, Record] = {}
        self.submitted: list[Event] = []
        self.newest: dict[str, str] = {}
        #: Events a cancel or the session's close caught before they ended.
        self.doomed: set[int] = set()
        self._problems = problems
        self._check_eta = check_eta
        self._ids = itertools.count(1)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def problem(self, text: str) -> None:
        self._problems.append(f"session {self.key}: {text}")

    def live(self, name: str) -> list[Record]:
        return [
            r
            for r in self.records.values()
            if r.live and r.event.listener.api_name == name
        ]

    # -- EventOwner ------------------------------------------------------------

    def next_event_id(self) -> int:
        return next(self._ids)

    def read_values(self, components: tuple[Component, ...]) -> list[Any]:
        if not self.is_open:
            self.problem("inputs were read after the session began closing")
        return [self.values.get(c.id, "") for c in components]

    def apply_outputs(self, event: Event, changes: list[OutputChange]) -> None:
        name = event.listener.api_name
        if not self.is_open:
            self.problem(f"outputs of {name} applied after the session began closing")
        if not self._record(event).live:
            self.problem(f"outputs of {name} applied after its end")
        for component, props in changes:
            value = props["value"]
            if not value.startswith(f"{name}<{self.key}/{name}/"):
                self.problem(f"{name} applied another caller's item {value!r}")
            self.values[component.id] = value

    def event_status(
        self,
        event: Event,
        stage: Stage,
        position: int | None = None,
        eta: float | None = None,
    ) -> None:
        record = self._record(event)
        if not record.live:
            self.problem(f"status {stage} after the end of {event!r}")
        if stage == "running" and not self.is_open:
            self.problem(f"{event!r} started after the session began closing")
        record.stages.append(stage)
        record.positions.append(position)
        if position is not None:
            self._check_eta(event, position, eta)

    def notify(
        self, event: Event, level: str, message: str, duration: float | None
    ) -> None:
        self.problem(f"unexpected toast {message!r}")

    def progress(self, event: Event, update: dict[str, Any]) -> None:
        self.problem(f"unexpected progress {update!r}")

    def event_ended(
        self,
        event: Event,
        outcome: Outcome,
        error: BaseException | str | None,
        outputs: list[Any] | None,
    ) -> None:
        record = self._record(event)
        record.ends.append(outcome)
        if len(record.ends) > 1:
            self.problem(f"{event!r} ended {record.ends}")
        if event.id in self.doomed and outcome != "cancelled":
            self.problem(f"{event!r} was cancelled but ended {outcome}")
        code = error.code if isinstance(error, Refusal) else None
        name = event.listener.api_name or ""
        if self.is_open and (outcome, code) not in ALLOWED[name]:
            self.problem(f"{name} ended {outcome} ({code}) while the session is open")

    def _record(self, event: Event) -> Record:
        if event.owner is not self:
            self.problem(f"told about {event!r} of session {event.owner.key}")
        return self.records.setdefault(event.id, Record(event))


@dataclass
class Call:
    """One call of a listener function, waiting for the machine to complete it."""

    listener: Listener
    tokens: list[str]
    started: float
    result: asyncio.Future[Any]
    run: Callable[[], Any]


class GatedExecutor:
    """An ``Executor`` whose calls end only when the machine completes them."""

    def __init__(self, clock: Callable[[], float], problems: list[str]) -> None:
        self.clock = clock
        self.in_flight: list[Call] = []
        self.calls: list[Call] = []
        self.durations: dict[int, list[float]] = defaultdict(list)
        self._problems = problems

    def call(
        self,
        fn: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any]:
        listener = BY_FN[fn]
        tokens = list(args[0]) if listener.batch else [args[0]]
        call = Call(
            listener,
            tokens,
            self.clock(),
            asyncio.get_running_loop().create_future(),
            functools.partial(fn, *args, **(kwargs or {})),
        )
        self.calls.append(call)
        self.in_flight.append(call)
        self._check(call)
        call.result.add_done_callback(functools.partial(self._ended, call))
        return call.result

    def complete(self, call: Call, ok: bool) -> None:
        """End ``call`` now: its function returns, or raises unless ``ok``.

        The scheduler hears of it in a later loop step, as from a thread.
        """
        self._leave(call)
        if call.result.done():
            return
        if not ok:
            call.result.set_exception(
                Failure(f"{call.listener.api_name} failed on purpose")
            )
            return
        call.result.set_result(call.run())

    def _ended(self, call: Call, result: asyncio.Future[Any]) -> None:
        """The scheduler hears of the end now: a run time it may know of."""
        self._leave(call)  # a cancel
        if not result.cancelled() and result.exception() is None:
            self.durations[call.listener.id].append(self.clock() - call.started)

    def _leave(self, call: Call) -> None:
        if call in self.in_flight:
            self.in_flight.remove(call)

    def shutdown(self) -> None:
        self.in_flight.clear()

    def in_group(self, group: str) -> list[Call]:
        return [
            c for c in self.in_flight if GRAPH.groups.group_of(c.listener.id) == group
        ]

    def _check(self, call: Call) -> None:
        name = call.listener.api_name
        group = GRAPH.groups.group_of(call.listener.id)
        limit = GRAPH.groups.limits[group]
        if limit is not None and len(self.in_group(group)) > limit:
            self._problems.append(f"group {group} ran past its limit {limit}")
        size = call.listener.max_batch_size if call.listener.batch else 1
        if not 1 <= len(call.tokens) <= size:
            self._problems.append(f"{name} called with {len(call.tokens)} items")
        for token in call.tokens:
            if token.split("/")[1] != name:
                self._problems.append(f"{name} called with {token!r}")


class SchedulerMachine(RuleBasedStateMachine):
    """Triggers, completions, cancels and closes in any order, from 3 sessions."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.now = 0.0
        self.problems: list[str] = []
        self.executor = GatedExecutor(lambda: self.now, self.problems)
        self.scheduler = Scheduler(
            GRAPH, self.executor, clock=lambda: self.now, position_interval=0
        )
        self.keys = (f"s{n}" for n in itertools.count())
        self.tokens = itertools.count(1)
        self.owners: list[Owner] = []
        self.everyone: list[Owner] = []
        for _ in range(SESSIONS):
            self.owners.append(self._new_owner())

    # -- rules -----------------------------------------------------------------

    @rule(slot=st.integers(0, SESSIONS - 1), name=st.sampled_from(NAMES))
    def trigger(self, slot: int, name: str) -> None:
        self._act(lambda: self._trigger(slot, name))

    @rule(
        actions=st.lists(TRIGGERS, min_size=1, max_size=4),
        close=st.none() | st.integers(0, SESSIONS - 1),
    )
    def burst(self, actions: list[tuple[int, str]], close: int | None) -> None:
        """Several triggers, then maybe a close, handled in one loop tick."""
        self._act(lambda: self._triggers_then_close(actions, close))

    @precondition(lambda self: self.executor.in_flight)
    @rule(
        pick=st.integers(0, 20),
        ok=st.booleans(),
        then=st.lists(TRIGGERS, max_size=2),
        close=st.none() | st.integers(0, SESSIONS - 1),
    )
    def complete(
        self, pick: int, ok: bool, then: list[tuple[int, str]], close: int | None
    ) -> None:
        """A call ends; triggers (a cancel among them) and a close may follow
        in the same tick, before the scheduler hears of the end."""
        call = self.executor.in_flight[pick % len(self.executor.in_flight)]

        def act() -> None:
            self.executor.complete(call, ok)
            self._triggers_then_close(then, close)

        self._act(act)

    @precondition(lambda self: self.executor.in_flight)
    @rule(ok=st.booleans())
    def complete_all(self, ok: bool) -> None:
        calls = list(self.executor.in_flight)
        self._act(lambda: [self.executor.complete(c, ok) for c in calls])

    @rule(slot=st.integers(0, SESSIONS - 1))
    def begin_close(self, slot: int) -> None:
        """The session starts closing; the scheduler hears of it later."""
        self._act(lambda: self._begin_close(slot))

    @rule(slot=st.integers(0, SESSIONS - 1))
    def end_close(self, slot: int) -> None:
        self._act(lambda: self._end_close(slot))

    @rule(seconds=st.integers(1, 4))
    def advance_clock(self, seconds: int) -> None:
        self.now += seconds

    # -- invariants ------------------------------------------------------------

    @invariant()
    def nothing_went_wrong(self) -> None:
        assert self.problems == []

    @invariant()
    def once_has_at_most_one_live_event(self) -> None:
        for owner in self.everyone:
            assert len(owner.live("once")) <= 1, owner.key

    @invariant()
    def always_last_has_at_most_one_waiting_event(self) -> None:
        for owner in self.everyone:
            waiting = [r for r in owner.live("last") if r.waiting]
            assert len(waiting) <= 1, owner.key

    @invariant()
    def groups_stay_within_their_limits(self) -> None:
        for group, limit in GRAPH.groups.limits.items():
            assert len(self.executor.in_group(group)) <= (limit or sys.maxsize)

    @invariant()
    def queue_positions_count_the_events_ahead(self) -> None:
        """Queued events hold distinct positions 0..n-1 in their group.

        A closing session is sent no more positions, so only the open
        sessions' positions are checked once one of its events waits.
        """
        for group in GRAPH.groups.limits:
            queued = [
                (owner.is_open, record.positions[-1])
                for owner in self.everyone
                for record in owner.records.values()
                if record.waiting
                and record.positions[-1] is not None
                and GRAPH.groups.group_of(record.event.listener.id) == group
            ]
            told = sorted(position for is_open, position in queued if is_open)
            if len(told) == len(queued):
                assert told == list(range(len(queued))), group
            else:
                assert len(set(told)) == len(told), group
                assert all(position < len(queued) for position in told), group

    @invariant()
    def closed_sessions_have_nothing_live(self) -> None:
        for owner in self.everyone:
            if owner.state == "closed":
                assert [r.event for r in owner.records.values() if r.live] == []

    # -- the end -----------------------------------------------------------------

    def teardown(self) -> None:
        try:
            if sys.exc_info()[0] is None:
                self._check_the_end()
        finally:
            self.loop.run_until_complete(self._cancel_leftovers())
            self.loop.close()

    def _check_the_end(self) -> None:
        """Complete everything, then close every session and check the record."""
        for _ in range(MAX_SPINS):
            if not self.executor.in_flight:
                break
            self.complete_all(True)
        open_owners = [o for o in self.owners if o.is_open]
        for owner in open_owners:
            assert [r.event for r in owner.records.values() if r.live] == []
            self._check_quiet_session(owner)

        for slot in range(SESSIONS):
            self._act(lambda slot=slot: self._begin_close(slot))
            self._act(lambda slot=slot: self._end_close(slot))
        assert self.problems == []
        assert self.executor.in_flight == []
        for owner in self.everyone:
            for event in owner.submitted:
                assert len(owner.records[event.id].ends) == 1, event
            for record in owner.records.values():
                assert len(record.ends) == 1, record

    def _check_quiet_session(self, owner: Owner) -> None:
        """multiple ran every trigger; always_last ended on the newest input."""
        prefix = f"{owner.key}/"
        multiple = [e for e in owner.submitted if e.listener.api_name == "multiple"]
        ran = [
            c
            for c in self.executor.calls
            if c.listener.api_name == "multiple" and c.tokens[0].startswith(prefix)
        ]
        assert len(ran) == len(multiple)
        assert {owner.records[e.id].ends[0] for e in multiple} <= {"done", "error"}

        if "last" in owner.newest:
            last_run = [
                c.tokens[0]
                for c in self.executor.calls
                if c.listener.api_name == "last" and c.tokens[0].startswith(prefix)
            ][-1]
            assert last_run == owner.newest["last"]

    # -- steps ---------------------------------------------------------------------

    def _new_owner(self) -> Owner:
        owner = Owner(next(self.keys), self.problems, self._check_eta)
        self.everyone.append(owner)
        return owner

    def _trigger(self, slot: int, name: str) -> None:
        owner = self.owners[slot]
        if not owner.is_open:
            return
        listener = LISTENERS[name]
        token = f"{owner.key}/{name}/{next(self.tokens)}"
        owner.values[listener.inputs[0].id] = token
        owner.newest[name] = token
        for target in listener.cancels:
            target_name = GRAPH.listener(target).api_name or ""
            owner.doomed.update(r.event.id for r in owner.live(target_name))

        event = self.scheduler.submit(owner, listener)
        owner.submitted.append(event)
        record = owner.records.get(event.id)
        if record is None or not (record.stages or record.ends):
            owner.problem(f"{event!r} reported nothing when admitted")

    def _triggers_then_close(
        self, triggers: list[tuple[int, str]], close: int | None
    ) -> None:
        for slot, name in triggers:
            self._trigger(slot, name)
        if close is not None:
            self._begin_close(close)
            self._end_close(close)

    def _begin_close(self, slot: int) -> None:
        self.owners[slot].state = "closing"

    def _end_close(self, slot: int) -> None:
        owner = self.owners[slot]
        if owner.state != "closing":
            return
        owner.doomed.update(r.event.id for r in owner.records.values() if r.live)
        self.scheduler.end_owner(owner)
        owner.state = "closed"
        self.owners[slot] = self._new_owner()

    def _check_eta(self, event: Event, position: int, eta: float | None) -> None:
        """A queue estimate lies between position-scaled past run times.

        The scheduler counts only runs that ended done; a call that returned
        for a run cancelled meanwhile is one it never times, so an estimate
        may be missing while the executor has seen calls end.
        """
        durations = self.executor.durations[event.listener.id]
        if not durations:
            if eta is not None:
                self.problems.append(f"{event!r}: eta {eta} before any run")
            return
        if eta is None:
            return
        limit = GRAPH.groups.limits[GRAPH.groups.group_of(event.listener.id)]
        turns = position // (limit or 1) + 1
        low, high = min(durations) * turns, max(durations) * turns
        if not low - 1e-9 <= eta <= high + 1e-9:
            self.problems.append(f"{event!r}: eta {eta} outside [{low}, {high}]")

    def _act(self, action: Callable[[], Any]) -> None:
        """Run ``action`` inside the loop, then let the loop settle."""

        async def act_and_settle() -> None:
            action()
            await self._settle()

        self.loop.run_until_complete(act_and_settle())

    async def _settle(self) -> None:
        quiet, mark = 0, self._activity()
        for _ in range(MAX_SPINS):
            await asyncio.sleep(0)
            now = self._activity()
            quiet = quiet + 1 if now == mark else 0
            mark = now
            if quiet >= QUIET_SPINS:
                return
        raise AssertionError("the scheduler never settled")

    def _activity(self) -> tuple[int, ...]:
        messages = sum(
            len(r.stages) + len(r.ends)
            for owner in self.everyone
            for r in owner.records.values()
        )
        return messages, len(self.executor.calls), len(self.executor.in_flight)

    async def _cancel_leftovers(self) -> None:
        """End whatever an interrupted example left running, before the loop closes."""
        for owner in self.everyone:
            if owner.state != "closed":
                owner.state = "closing"
                self.scheduler.end_owner(owner)
        current = asyncio.current_task()
        while tasks := [t for t in asyncio.all_tasks() if t is not current]:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def test_scheduler_keeps_its_invariants_under_any_interleaving() -> None:
    """Random triggers, completions, cancels and closes never break a scheduling rule."""
    run_state_machine_as_test(
        SchedulerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
