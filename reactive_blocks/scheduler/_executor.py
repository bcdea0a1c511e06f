"""Where listener functions run: the narrow interface the scheduler calls.

``LocalExecutor`` runs async functions on the event loop and sync functions
and sync generators in a bounded thread pool, so nothing a user function
does blocks the loop. Another executor (a process pool, a cluster) only has
to offer the same three coroutines.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

#: One step of a generator: (True, yielded value) or (False, returned value).
Step = tuple[bool, Any]


class Executor(Protocol):
    """Runs user functions for the scheduler."""

    async def call(
        self,
        fn: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Call ``fn(*args, **kwargs)``; a generator is returned unstarted."""
        ...

    async def step(self, iterator: Iterator[Any] | AsyncIterator[Any]) -> Step:
        """Advance a generator one yield.

        When the awaiting task is cancelled, the generator is closed (its
        ``finally`` runs) as soon as the step in flight ends.
        """
        ...

    async def close(self, iterator: Iterator[Any] | AsyncIterator[Any]) -> None:
        """Close a generator that will not be advanced again."""
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
        if max_threads < 1:
            raise ValueError(f"max_threads must be at least 1, got {max_threads}")
        self.max_threads = max_threads
        self._pool = ThreadPoolExecutor(
            max_threads, thread_name_prefix="reactive_blocks"
        )

    async def call(
        self,
        fn: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            result = fn(*args, **kwargs)
        elif inspect.isgeneratorfunction(fn):
            return fn(*args, **kwargs)
        else:
            result = await self._submit(functools.partial(fn, *args, **kwargs))
        if inspect.isawaitable(result):
            result = await result
        return result

    async def step(self, iterator: Iterator[Any] | AsyncIterator[Any]) -> Step:
        if isinstance(iterator, AsyncIterator):
            return await _async_step(iterator)

        future = self._submit(_sync_step, iterator)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(
                lambda _: self._pool.submit(_close_quietly, iterator)
            )
            raise

    async def close(self, iterator: Iterator[Any] | AsyncIterator[Any]) -> None:
        if isinstance(iterator, AsyncIterator):
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            return
        await self._submit(_close_quietly, iterator)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return loop.run_in_executor(
            self._pool, functools.partial(context.run, fn, *args)
        )


def _sync_step(iterator: Iterator[Any]) -> Step:
    try:
        return True, next(iterator)
    except StopIteration as stop:
        return False, stop.value


async def _async_step(iterator: AsyncIterator[Any]) -> Step:
    try:
        return True, await iterator.__anext__()
    except StopAsyncIteration:
        return False, None


def _close_quietly(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is None:
        return
    # ValueError, "generator already executing": the step in flight closes it.
    with contextlib.suppress(ValueError):
        close()
