"""Where listener functions run: the narrow interface the scheduler calls.

``LocalExecutor`` runs async functions on the event loop and sync functions
and sync generators in a bounded thread pool, so nothing a user function
does blocks the loop. Another executor (a process pool, a cluster) only has
to offer the same two coroutines and ``shutdown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Final, Protocol

from reactive_blocks.scheduler._workers import WorkerThreads, start_awaiting

#: One step of a generator: (True, yielded value) or (False, returned value).
Step = tuple[bool, Any]

#: Yields a sync generator may run ahead of the loop applying them.
RUN_AHEAD: Final = 64


class Executor(Protocol):
    """Runs user functions for the scheduler."""

    def call(
        self,
        fn: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any]:
        """Start ``fn(*args, **kwargs)``; the future gives what it returned.

        It runs in a copy of the caller's context, where ``gr.Info`` and
        ``gr.Progress`` find the run they belong to. An awaitable it
        returned is awaited first; a generator comes back unstarted.
        Cancelling the future abandons the call: a function already
        running in a thread runs on, and its result is dropped.
        """
        ...

    def stream(
        self, generator: Iterator[Any] | AsyncIterator[Any]
    ) -> AsyncIterator[Step]:
        """Run a generator, giving each step; the last is ``(False, returned)``.

        Closing the stream early (a cancel) stops the generator at its next
        yield and closes it, so its ``finally`` runs.
        """
        ...

    def shutdown(self) -> None:
        """Stop accepting work; running calls finish on their own."""
        ...


class LocalExecutor:
    """Runs functions in this process: async on the loop, sync in threads.

    Args:
        max_threads: The most sync calls running at once.
    """

    def __init__(self, max_threads: int = 40) -> None:
        self.max_threads = max_threads
        self._workers = WorkerThreads(max_threads, "reactive_blocks")

    def call(
        self,
        fn: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any]:
        kwargs = kwargs or {}
        try:
            kind = _kind(fn)
        except TypeError:  # an unhashable callable
            kind = _kind.__wrapped__(fn)
        if kind == "sync":
            return self._submit(_call_with, fn, args, kwargs)

        result = fn(*args, **kwargs)
        if inspect.isawaitable(result):
            return start_awaiting(result)
        done = asyncio.get_running_loop().create_future()
        done.set_result(result)  # an async or sync generator, unstarted
        return done

    async def stream(
        self, generator: Iterator[Any] | AsyncIterator[Any]
    ) -> AsyncIterator[Step]:
        if isinstance(generator, AsyncIterator):
            async for step in _async_steps(generator):
                yield step
            return

        # One thread runs the whole generator and posts each yield to the
        # loop: a thread hop per yield held streaming to about 2,500 yields/s.
        loop = asyncio.get_running_loop()
        steps: asyncio.Queue[Step | BaseException] = asyncio.Queue()
        room = threading.Semaphore(RUN_AHEAD)
        stop = threading.Event()

        def post(item: Step | BaseException) -> None:
            loop.call_soon_threadsafe(steps.put_nowait, item)

        self._submit(_produce, generator, post, room, stop)
        try:
            while True:
                item = await steps.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                room.release()
                if not item[0]:
                    return
        finally:
            stop.set()
            room.release()

    def shutdown(self) -> None:
        self._workers.shutdown()

    def _submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return self._workers.submit(fn, *args)


def _call_with(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    return fn(*args, **kwargs)


@functools.lru_cache(maxsize=4096)
def _kind(fn: Callable[..., Any]) -> str:
    """How to call ``fn``; cached, as inspecting it on every call showed in profiles."""
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return "async"
    if inspect.isgeneratorfunction(fn):
        return "generator"
    return "sync"


def _produce(
    generator: Iterator[Any],
    post: Callable[[Step | BaseException], None],
    room: threading.Semaphore,
    stop: threading.Event,
) -> None:
    """Run ``generator`` in this thread, posting each step, until done or stopped."""
    try:
        while True:
            room.acquire()
            if stop.is_set():
                return
            try:
                value = next(generator)
            except StopIteration as done:
                post((False, done.value))
                return
            post((True, value))
    except BaseException as exc:
        post(exc)
    finally:
        if stop.is_set():
            with contextlib.suppress(Exception):
                generator.close()  # type: ignore[attr-defined]


async def _async_steps(generator: AsyncIterator[Any]) -> AsyncIterator[Step]:
    try:
        async for value in generator:
            yield True, value
        yield False, None
    finally:
        aclose = getattr(generator, "aclose", None)
        if aclose is not None:
            await asyncio.shield(aclose())
