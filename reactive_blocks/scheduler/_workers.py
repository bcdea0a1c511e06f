"""The threads that run sync listener functions, handing results to the loop.

A sync function must not run on the loop, so each call crosses to a worker
thread and its result crosses back. What costs is not the crossing but the
wake-ups: a parked thread woken for every call, only to wait for the GIL the
loop holds, and the loop woken for every result. With 500 sessions clicking a
quick listener, a pool that woke a thread per call spent 62 to 66 µs of CPU
per event against 44 to 50 µs here (both 43 to 53 µs with 50 sessions), so
the CPU per event no longer grew with sessions. The wake-ups are shared out:

- Calls wait in one queue. A loop step wakes at most one parked thread for
  the calls it queued, and none while a busy thread took or finished a call
  within the last ``STALL`` seconds: that thread comes back for them. Under
  load one thread takes call after call and never parks.
- A thread is woken for every waiting call once the busy threads have taken
  nothing for ``STALL`` (they run functions that block): calls that block
  still overlap, starting at most about ``STALL`` later than with a thread
  per call.
- Calls that each block briefly (less than ``STALL``) would otherwise run
  one after another: when the oldest has waited ``LATE``, one more thread is
  woken every ``STALL`` until they keep up.
- Results go back in one queue, with one wake-up of the loop for all that
  arrive before it runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import inspect
import logging
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

log = logging.getLogger("reactive_blocks.scheduler")

#: How long waiting calls trust busy threads to come back for them, in seconds.
STALL: Final = 0.001

#: How long a call may wait behind calls that each block briefly, in seconds.
LATE: Final = 0.02

_Settle = Callable[[asyncio.Future[Any], Any, contextvars.Context | None], None]


class _Returns:
    """Results on their way back to one loop: one wake-up for a batch of them."""

    __slots__ = ("_loop", "_results", "_signalled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._results: collections.deque[
            tuple[_Settle, asyncio.Future[Any], Any, contextvars.Context | None]
        ] = collections.deque()
        self._signalled = False

    def post(
        self,
        settle: _Settle,
        future: asyncio.Future[Any],
        outcome: Any,
        context: contextvars.Context | None,
    ) -> None:
        """Hand ``settle(future, outcome, context)`` to the loop; any thread."""
        self._results.append((settle, future, outcome, context))
        if self._signalled:
            return  # the loop has yet to deliver, and will deliver this too
        self._signalled = True
        # A closed loop raises RuntimeError: nobody waits for these results.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        # Cleared before draining: a result appended while this runs is
        # either drained here or signals again.
        self._signalled = False
        results = self._results
        while results:
            settle, future, outcome, context = results.popleft()
            try:
                settle(future, outcome, context)
            except Exception:
                log.exception("a worker thread's result could not be delivered")


class _Job:
    """One call waiting for a thread, and where its result goes."""

    __slots__ = ("args", "context", "fn", "future", "queued_at", "returns")

    def __init__(
        self,
        returns: _Returns,
        future: asyncio.Future[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        self.returns = returns
        self.future = future
        self.context = contextvars.copy_context()
        self.fn = fn
        self.args = args
        self.queued_at = time.monotonic()


class WorkerThreads:
    """At most ``max_threads`` threads, started as calls need them and kept.

    A quiet app keeps one or two. Threads are daemons: a call still running
    when the process exits does not hold the exit up.
    """

    def __init__(self, max_threads: int, name: str) -> None:
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, got {max_threads}")
        self.max_threads = max_threads
        self._name = name
        self._jobs: collections.deque[_Job] = collections.deque()
        self._wake: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._parked = 0
        self._rising = 0  # woken or started, yet to take a call
        self._progress_at = 0.0  # when a thread last took or finished a call
        # The loop each is due on: a loop closed before it ran leaves it behind.
        self._stall_check: tuple[asyncio.AbstractEventLoop, asyncio.Handle] | None = (
            None
        )
        self._rouse_on: asyncio.AbstractEventLoop | None = None
        self._returns: _Returns | None = None
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Run ``fn(*args)`` on a worker, in a copy of the caller's context.

        An awaitable it returns (a sync wrapper of an async function) is
        awaited on the loop, and the future gives what that gives.
        """
        if self._closed:
            raise RuntimeError("the worker threads were shut down")

        loop = asyncio.get_running_loop()
        returns = self._returns
        if returns is None or returns._loop is not loop:
            returns = self._returns = _Returns(loop)
        future = loop.create_future()
        self._jobs.append(_Job(returns, future, fn, args))

        if self._rouse_on is not loop:
            self._rouse_on = loop
            loop.call_soon(self._rouse_for_waiting)
        return future

    def shutdown(self) -> None:
        """Take no more calls and cancel the waiting ones.

        Parked threads end at once, busy ones after their call.
        """
        with self._lock:
            self._closed = True
            waiting = list(self._jobs)
            self._jobs.clear()
            parked, self._parked = self._parked, 0
        for job in waiting:
            job.returns.post(_cancel, job.future, None, None)
        for _ in range(parked):
            self._wake.put(False)

    # -- on the loop ------------------------------------------------------------

    def _rouse_for_waiting(self) -> None:
        """After the loop step's calls are queued: one wake-up for all of them."""
        with self._lock:
            self._rouse_on = None
            if len(self._jobs) <= self._rising or self._closed:
                return  # threads on their way will take them
            busy = self._threads - self._parked - self._rising
            comes_back = busy and time.monotonic() - self._progress_at < STALL
            number = 0 if comes_back else self._rouse()
            if len(self._jobs) > self._rising:
                self._check_stall_later(STALL)
        if number:
            self._start_thread(number)

    def _rouse(self) -> int:
        """Wake a parked thread, else count one to start; hold the lock.

        Returns the number of the thread the caller must start (outside the
        lock), or 0.
        """
        if self._parked:
            self._parked -= 1
            self._rising += 1
            self._wake.put(True)
            return 0
        if self._threads < self.max_threads:
            self._threads += 1
            self._rising += 1
            return self._threads
        return 0

    def _start_thread(self, number: int) -> None:
        threading.Thread(
            target=self._work, name=f"{self._name}_{number}", daemon=True
        ).start()

    def _check_stall_later(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if self._stall_check is None or self._stall_check[0] is not loop:
            self._stall_check = (loop, loop.call_later(delay, self._check_stall))

    def _check_stall(self) -> None:
        """Wake threads for calls that the busy threads are slow to come back for."""
        self._stall_check = None
        with self._lock:
            waiting = len(self._jobs) - self._rising
            if waiting <= 0 or self._closed:
                return
            now = time.monotonic()
            if self._rising:
                numbers = []  # a thread on its way has yet to show progress
            elif now - self._progress_at >= STALL:
                numbers = [self._rouse() for _ in range(waiting)]
            elif now - self._jobs[0].queued_at >= LATE:
                numbers = [self._rouse()]
            else:
                numbers = []
            can_wake = self._parked or self._threads < self.max_threads
            if len(self._jobs) > self._rising and can_wake:
                self._check_stall_later(STALL)
        for number in numbers:
            if number:
                self._start_thread(number)

    # -- on a worker thread -----------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                self._rising -= 1
            while (job := self._take()) is not None:
                _run(job)
                del job  # hold nothing while parked
            if not self._wake.get():
                return  # shut down

    def _take(self) -> _Job | None:
        """The oldest waiting call, else park this thread."""
        with self._lock:
            self._progress_at = time.monotonic()
            if self._jobs:
                return self._jobs.popleft()
            self._parked += 1
            if self._closed:
                self._wake.put(False)  # parked after shutdown: end at once
            return None


def _run(job: _Job) -> None:
    if job.future.cancelled():
        return  # cancelled while it waited: nobody wants it to run
    try:
        outcome = job.context.run(job.fn, *job.args)
    except BaseException as exc:
        job.returns.post(_fail, job.future, exc, job.context)
    else:
        job.returns.post(_resolve, job.future, outcome, job.context)


def _cancel(future: asyncio.Future[Any], _: Any, __: Any) -> None:
    future.cancel()


def _resolve(
    future: asyncio.Future[Any], result: Any, context: contextvars.Context | None
) -> None:
    if future.done():  # a cancelled caller drops the result
        if inspect.iscoroutine(result):
            result.close()  # never started: nothing to warn about
        return
    if inspect.isawaitable(result):
        # A sync callable that returned an awaitable (a wrapper of an async
        # function): the result is what awaiting it on the loop gives, in the
        # call's context, where the run it belongs to is found.
        _follow(future, start_awaiting(result, context))
    else:
        future.set_result(result)


def start_awaiting(
    awaitable: Awaitable[Any], context: contextvars.Context | None = None
) -> asyncio.Task[Any]:
    """A task awaiting a user function's awaitable, as ``contained`` does.

    A task cancelled before its first step never awaits the coroutine it
    was given, and Python warns, when the coroutine is collected, that it
    was never awaited: a run cancelled in the same loop step as it started
    (Run, then Stop at once).
    The coroutine is closed when the task ends, which is harmless when it
    ran.
    """
    task = asyncio.get_running_loop().create_task(contained(awaitable), context=context)
    if inspect.iscoroutine(awaitable):
        coroutine = awaitable
        task.add_done_callback(lambda _: coroutine.close())
    return task


async def contained(awaitable: Awaitable[Any]) -> Any:
    """Await a user function's awaitable; its SystemExit becomes an error.

    A task re-raises SystemExit out of the event loop, so a stray
    ``sys.exit()`` in an async listener would stop the server.
    """
    try:
        return await awaitable
    except SystemExit as exc:
        raise RuntimeError(f"the function raised SystemExit({exc.code!r})") from exc


def _follow(future: asyncio.Future[Any], inner: asyncio.Future[Any]) -> None:
    """Settle ``future`` as ``inner`` settles; cancelling it cancels ``inner``."""

    def settle(inner: asyncio.Future[Any]) -> None:
        if future.done():
            return
        if inner.cancelled():
            future.cancel()
        elif (exc := inner.exception()) is not None:
            future.set_exception(exc)
        else:
            future.set_result(inner.result())

    def abandon(future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            inner.cancel()

    inner.add_done_callback(settle)
    future.add_done_callback(abandon)


def _fail(future: asyncio.Future[Any], exc: BaseException, _: Any) -> None:
    if not future.done():
        future.set_exception(exc)
