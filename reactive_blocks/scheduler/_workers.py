"""The threads that run sync listener functions, handing results to the loop.

``loop.run_in_executor`` with a ``ThreadPoolExecutor`` builds a
``concurrent.futures.Future`` (with its own lock and condition), a work item
and a chained asyncio future for every call. At one call per event that was
about a tenth of the server's CPU in the throughput benchmark. Here a call is
one tuple on a queue and one ``call_soon_threadsafe`` back: the loop's future
is the only future.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any

_Job = tuple[
    asyncio.AbstractEventLoop,
    asyncio.Future[Any],
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
]


class WorkerThreads:
    """At most ``max_threads`` threads, started as calls need them and kept.

    A thread starts only when every started thread is busy, so a quiet app
    keeps one or two. Threads are daemons: a call still running when the
    process exits does not hold the exit up.
    """

    def __init__(self, max_threads: int, name: str) -> None:
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, got {max_threads}")
        self.max_threads = max_threads
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Run ``fn(*args)`` on a worker, in a copy of the caller's context.

        An awaitable it returns (a sync wrapper of an async function) is
        awaited on the loop, and the future gives what that gives.
        """
        if self._closed:
            raise RuntimeError("the worker threads were shut down")

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, contextvars.copy_context(), fn, args))

        with self._lock:
            if self._idle:
                self._idle -= 1  # an idle thread will take this job
                start = False
            else:
                start = self._threads < self.max_threads
                self._threads += int(start)
        if start:
            threading.Thread(
                target=self._work, name=f"{self._name}_{self._threads}", daemon=True
            ).start()
        return future

    def shutdown(self) -> None:
        """Take no more calls and cancel the waiting ones.

        Idle threads end at once, busy ones after their call.
        """
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                _post(job[0], job[1].cancel)
        for _ in range(self._threads):
            self._jobs.put(None)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, context, fn, args = job
            del job
            settle: Callable[[asyncio.Future[Any], Any, contextvars.Context], None] = (
                _resolve
            )
            try:
                outcome = context.run(fn, *args)
            except BaseException as exc:
                settle, outcome = _fail, exc
            del fn, args

            # Idle before the loop hears of the result: the loop's next call
            # may come at once, and must find this thread instead of starting
            # another.
            with self._lock:
                self._idle += 1
            _post(loop, settle, future, outcome, context)
            del loop, future, context, outcome  # hold nothing while idle


def _post(loop: asyncio.AbstractEventLoop, callback: Any, *args: Any) -> None:
    # A closed loop raises RuntimeError: nobody waits for this result any more.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback, *args)


def _resolve(
    future: asyncio.Future[Any], result: Any, context: contextvars.Context
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


def _fail(
    future: asyncio.Future[Any], exc: BaseException, _: contextvars.Context
) -> None:
    if not future.done():
        future.set_exception(exc)
