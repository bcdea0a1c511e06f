"""What one hand-off to a thread and back costs on this machine.

A sync listener runs on a worker thread, because no user function may block
the loop, so a lone click pays a hand-off that the floor's echo does not: a
parked thread woken for the call, and the sleeping loop woken for the result.
This measures that hand-off alone, three ways, first with the process free to
use every CPU and then pinned to one:

- ``queues``: two plain threads passing a value back and forth through two
  queues, the least any hand-off between Python threads costs;
- ``loop``: an event loop handing a call to a thread that answers with
  ``call_soon_threadsafe``, the least an asyncio server's hand-off costs;
- ``workers``: reactive_blocks' own worker threads, one call at a time.

Where the pinned figures are far below the free ones, what costs is waking a
thread on another CPU, not Python: the floor's round trip and ours differ
mostly in how many such wake-ups they make.

    python benchmarks/hop.py [--calls N] [--runs N]

Each figure is the median of five runs (``--runs``), each in a fresh process (so that the
pinning touches nothing else), in microseconds per round trip: wall time and
the process's CPU time. Linux only (it pins with ``sched_setaffinity``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CASES = ("queues", "loop", "workers")


def _queues(calls: int) -> None:
    there: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    back: queue.SimpleQueue[int] = queue.SimpleQueue()

    def echo() -> None:
        while (value := there.get()) is not None:
            back.put(value)

    thread = threading.Thread(target=echo)
    thread.start()
    for i in range(calls):
        there.put(i)
        back.get()
    there.put(None)
    thread.join()


async def _loop(calls: int) -> None:
    loop = asyncio.get_running_loop()
    calls_in: queue.SimpleQueue[asyncio.Future[int] | None] = queue.SimpleQueue()

    def answer() -> None:
        while (future := calls_in.get()) is not None:
            loop.call_soon_threadsafe(future.set_result, 1)

    thread = threading.Thread(target=answer)
    thread.start()
    for _ in range(calls):
        future = loop.create_future()
        calls_in.put(future)
        await future
    calls_in.put(None)
    thread.join()


async def _workers(calls: int) -> None:
    sys.path.insert(0, str(REPO))
    from reactive_blocks.scheduler._workers import WorkerThreads

    workers = WorkerThreads(40, "hop")
    try:
        for i in range(calls):
            await workers.submit(abs, i)
    finally:
        workers.shutdown()


def _on_a_loop(
    main: Callable[[int], Coroutine[Any, Any, None]],
) -> Callable[[int], None]:
    """Run ``main(calls)`` on uvloop when installed, as the servers do."""
    try:
        import uvloop
    except ImportError:
        return lambda calls: asyncio.run(main(calls))
    return lambda calls: uvloop.run(main(calls))


def _measure(case: str, calls: int) -> tuple[float, float]:
    """Run ``case`` for ``calls`` round trips; µs per round trip, wall and CPU."""
    runners: dict[str, Callable[[int], None]] = {
        "queues": _queues,
        "loop": _on_a_loop(_loop),
        "workers": _on_a_loop(_workers),
    }
    runners[case](calls // 10)  # warm up: threads started, code paths hot

    wall, cpu = time.perf_counter(), time.process_time()
    runners[case](calls)
    return (
        (time.perf_counter() - wall) / calls * 1e6,
        (time.process_time() - cpu) / calls * 1e6,
    )


def _run_child(case: str, calls: int, pin: bool) -> tuple[float, float]:
    command = [sys.executable, __file__, "--child", case, "--calls", str(calls)]
    if pin:
        command.append("--pin")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def _table(calls: int, runs: int) -> str:
    rows = [
        "| hand-off | every CPU: wall | CPU | one CPU: wall | CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in CASES:
        cells = [case]
        for pin in (False, True):
            figures = [_run_child(case, calls, pin) for _ in range(runs)]
            cells.append(f"{statistics.median(f[0] for f in figures):.1f}")
            cells.append(f"{statistics.median(f[1] for f in figures):.1f}")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="round trips a run")
    parser.add_argument(
        "--runs", type=int, default=5, help="runs of each, for a median"
    )
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--pin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.calls < 10 or args.runs < 1:
        parser.error("--calls must be at least 10 and --runs at least 1")

    if args.child is None:
        runs = f"{args.runs} runs" if args.runs > 1 else "1 run"
        print(f"µs per round trip, median of {runs} of {args.calls:,}:\n")
        print(_table(args.calls, args.runs))
        return

    if args.pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    wall, cpu = _measure(args.child, args.calls)
    print(f"{wall:.3f} {cpu:.3f}")


if __name__ == "__main__":
    main()
