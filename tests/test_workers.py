"""The worker threads that run sync listener functions for the loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

import pytest
from in_flight import InFlight

from reactive_blocks.scheduler import _workers
from reactive_blocks.scheduler._workers import WorkerThreads

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")


async def test_calls_in_turn_reuse_one_thread_and_return_their_results() -> None:
    workers = WorkerThreads(4, "test")
    names = [
        await workers.submit(lambda: threading.current_thread().name) for _ in range(20)
    ]

    assert set(names) == {names[0]}
    assert names[0] != threading.current_thread().name
    workers.shutdown()


async def test_calls_queued_in_one_loop_step_wake_one_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quick call each does not need a thread each: one takes them in turn.

    The stall check is put out of reach, so that a slow machine cannot wake
    more threads on its account.
    """
    monkeypatch.setattr(_workers, "STALL", 60.0)
    workers = WorkerThreads(40, "test")
    names = await asyncio.gather(
        *(workers.submit(lambda: threading.current_thread().name) for _ in range(200))
    )

    assert len(names) == 200
    assert len(set(names)) == 1
    workers.shutdown()


async def test_calls_that_each_block_briefly_get_more_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Calls too brief to stall a thread still overlap once they wait ``LATE``.

    Each call ends well within the stall check's period, so only the age of
    the oldest waiting call can wake another thread.
    """
    monkeypatch.setattr(_workers, "STALL", 0.01)
    workers = WorkerThreads(8, "test")
    running = InFlight()

    def brief() -> None:
        with running:
            time.sleep(0.002)

    await asyncio.gather(*(workers.submit(brief) for _ in range(100)))

    assert running.peak > 1
    workers.shutdown()


async def test_a_burst_starts_threads_up_to_the_limit_and_no_further() -> None:
    workers = WorkerThreads(3, "test")
    inside = threading.Barrier(3, timeout=5)
    release = threading.Event()
    names: list[str] = []

    def meet() -> None:
        names.append(threading.current_thread().name)
        if len(names) <= 3:
            inside.wait()  # the first three run at once, or this raises
        release.wait(5)

    calls = [workers.submit(meet) for _ in range(5)]
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.gather(*calls)

    assert len(set(names)) == 3
    workers.shutdown()


async def test_a_call_cancelled_while_it_waits_for_a_thread_never_runs() -> None:
    workers = WorkerThreads(1, "test")
    release = threading.Event()
    ran: list[str] = []
    busy = workers.submit(release.wait, 5)
    waiting = workers.submit(ran.append, "cancelled")
    await asyncio.sleep(0.05)

    waiting.cancel()
    release.set()
    await busy
    await workers.submit(ran.append, "after")

    assert ran == ["after"]
    workers.shutdown()


async def test_an_exception_reaches_the_caller_and_the_thread_carries_on() -> None:
    workers = WorkerThreads(1, "test")

    def fail() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        await workers.submit(fail)

    assert await workers.submit(lambda: 42) == 42
    workers.shutdown()


async def test_a_call_sees_the_callers_context() -> None:
    workers = WorkerThreads(2, "test")
    request_id.set("r-17")

    assert await workers.submit(request_id.get) == "r-17"
    workers.shutdown()


async def test_shutdown_cancels_waiting_calls_and_refuses_new_ones() -> None:
    workers = WorkerThreads(1, "test")
    release = threading.Event()
    running = workers.submit(release.wait, 5)
    waiting = workers.submit(lambda: "never")
    await asyncio.sleep(0.05)

    workers.shutdown()
    release.set()

    assert await running is True
    with pytest.raises(asyncio.CancelledError):
        await waiting
    with pytest.raises(RuntimeError, match="shut down"):
        workers.submit(lambda: None)


async def test_a_returned_coroutine_is_awaited_in_the_callers_context() -> None:
    workers = WorkerThreads(1, "test")
    request_id.set("r7")

    async def read() -> str:
        await asyncio.sleep(0)
        return request_id.get()

    assert await workers.submit(lambda: read()) == "r7"
    workers.shutdown()


async def test_a_coroutine_returned_to_a_cancelled_caller_is_closed_unstarted() -> None:
    workers = WorkerThreads(1, "test")
    started = threading.Event()
    release = threading.Event()
    ran = False

    async def never() -> None:
        nonlocal ran
        ran = True

    def slow() -> Any:
        started.set()
        release.wait(5)
        return coroutine

    coroutine = never()
    call = workers.submit(slow)
    await asyncio.to_thread(started.wait, 5)
    call.cancel()
    release.set()
    await workers.submit(lambda: None)  # the first result has come back by now

    assert coroutine.cr_frame is None  # closed: no "never awaited" warning
    assert not ran
    workers.shutdown()
