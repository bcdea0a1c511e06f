"""Load-test a reactive_blocks app: N sessions, each calling one listener.

    python examples/blocks_hello.py &
    python examples/harness.py http://127.0.0.1:7860/ --api-name welcome \\
        --inputs '["Abubakar"]' --sessions 50 --requests 200

Each session is one ``reactive_blocks.AsyncClient`` (one WebSocket, as a
browser tab would hold); it calls the listener ``--requests`` times back to
back. The latency percentiles printed at the end are per call, from sending
it to its result; throughput counts calls finished per second of wall time.
The run stops after ``--time-limit`` seconds whatever is left.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import reactive_blocks as gr

log = logging.getLogger("harness")


@dataclass
class Tally:
    """What all sessions saw: one latency per finished call, and failures."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, exc: BaseException) -> None:
        kind = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def drive(
    url: str,
    api_name: str,
    inputs: list[Any],
    requests: int,
    deadline: float,
    gate: asyncio.Semaphore,
    tally: Tally,
) -> None:
    """One session: connect (``gate`` limits how many at once), call, close."""
    client = gr.AsyncClient(url)
    try:
        async with gate:
            await client.connect()
    except Exception as exc:  # any failure to connect is one error of its kind
        tally.fail(exc)
        return

    try:
        for _ in range(requests):
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                await client.predict(*inputs, api_name=api_name)
            except gr.ReactiveBlocksError as exc:
                tally.fail(exc)
                continue
            tally.latencies.append(time.perf_counter() - start)
    except (OSError, asyncio.TimeoutError) as exc:
        tally.fail(exc)
    finally:
        await client.close()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def run(args: argparse.Namespace) -> Tally:
    """All sessions at once, ``--ramp`` of them connecting at a time."""
    tally = Tally()
    deadline = time.monotonic() + args.time_limit
    gate = asyncio.Semaphore(args.ramp)
    sessions = (
        drive(
            args.url, args.api_name, args.inputs, args.requests, deadline, gate, tally
        )
        for _ in range(args.sessions)
    )
    await asyncio.wait_for(asyncio.gather(*sessions), timeout=args.time_limit + 30)
    return tally


def report(tally: Tally, seconds: float) -> str:
    """The summary lines printed at the end."""
    done = len(tally.latencies)
    lines = [f"{done} calls in {seconds:.2f} s: {done / seconds:,.1f} calls/s"]
    if done:
        ms = [v * 1e3 for v in tally.latencies]
        lines.append(
            "latency ms: "
            + "  ".join(f"p{q}={percentile(ms, q):.2f}" for q in (50, 90, 95, 99))
            + f"  max={max(ms):.2f}  mean={statistics.fmean(ms):.2f}"
        )
    if tally.errors:
        lines.append(
            "errors:\n"
            + "\n".join(f"  {v} x {k}" for k, v in sorted(tally.errors.items()))
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the app's URL, as launch() prints it")
    parser.add_argument("--api-name", required=True, help="the listener to call")
    parser.add_argument(
        "--inputs", type=json.loads, default=[], help="JSON list of input values"
    )
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100, help="per session")
    parser.add_argument(
        "--ramp", type=int, default=50, help="sessions connecting at once"
    )
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds")
    args = parser.parse_args(argv)
    if not isinstance(args.inputs, list):
        parser.error("--inputs must be a JSON list, e.g. '[\"Abubakar\"]'")
    return args


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    start = time.perf_counter()
    tally = asyncio.run(run(args))
    print(
        f"{args.sessions} sessions x {args.requests} calls of "
        f"'{args.api_name}' on {args.url}"
    )
    print(report(tally, time.perf_counter() - start))


if __name__ == "__main__":
    main()
