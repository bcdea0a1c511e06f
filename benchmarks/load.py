"""The load generator: one scenario against running servers, in its own process.

``run.py`` starts the servers and calls ``python benchmarks/load.py SPEC``,
where SPEC is a JSON object ``{"scenario", "params", "targets": [{"name",
"kind", "url", "pid", "stats_file"}]}``; the figures come back as one JSON
object on stdout. Targets are interleaved round by round so that a change in
the machine's load hits every target alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp
import orjson
from clients import (
    BenchError,
    FloorSession,
    GradioApp,
    GradioSession,
    RBSession,
    Session,
    open_session,
)

log = logging.getLogger("benchmarks.load")

CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
#: Sessions opened at once when a scenario needs many.
OPEN_CONCURRENCY: Final = 64
#: Calls each target gets before its first measured window.
WARMUP_CALLS: Final = 20
#: How long requests in flight when a window ends may take to finish.
ABANDON_AFTER: Final = 1.0


@dataclass
class Target:
    """A running server as the load generator and the browser driver see it."""

    name: str
    kind: str
    url: str
    pid: int
    stats_file: str = ""
    gradio_app: GradioApp | None = None


# -- measuring the server ---------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def server_stats(target: Target, timeout: float = 60.0) -> dict[str, Any]:
    """Ask the server for its RSS and gc object count (see apps/_control.py)."""
    asked = time.time()
    os.kill(target.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, ValueError):
            with open(target.stats_file, "rb") as stats_file:
                stats: dict[str, Any] = orjson.loads(stats_file.read())
            if stats["time"] >= asked:
                return stats
        await asyncio.sleep(0.02)
    raise BenchError(f"{target.name} sent no stats within {timeout:.0f}s")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def rotated(targets: list[Target], shift: int) -> list[Target]:
    """The targets starting at a different one each round."""
    shift %= len(targets)
    return targets[shift:] + targets[:shift]


# -- sessions ----------------------------------------------------------------------


async def open_many(
    http: aiohttp.ClientSession,
    target: Target,
    count: int,
    *,
    requests_only: bool = False,
) -> list[Session]:
    """Open ``count`` sessions, ``OPEN_CONCURRENCY`` at a time."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one() -> Session:
        async with gate:
            return await open_session(
                target.kind,
                http,
                target.url,
                target.gradio_app,
                requests_only=requests_only,
            )

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def close_many(sessions: list[Session]) -> None:
    """Close sessions, ``OPEN_CONCURRENCY`` at a time."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(session: Session) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                await session.close()

    await asyncio.gather(*(one(session) for session in sessions))


def new_http() -> aiohttp.ClientSession:
    """One client stack for all targets: no connection cap, no total timeout."""
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    return aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None)
    )


# -- scenario 1: roundtrip -----------------------------------------------------------


async def roundtrip(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """Sequential clicks of the hello button in one session per target."""
    clicks, rounds, warmup = params["clicks"], params["rounds"], params["warmup"]
    sessions = {
        t.name: await open_session(
            t.kind, http, t.url, t.gradio_app, requests_only=True
        )
        for t in targets
    }
    latencies: dict[str, list[float]] = {t.name: [] for t in targets}
    round_p50: dict[str, list[float]] = {t.name: [] for t in targets}
    cpu: dict[str, float] = dict.fromkeys(latencies, 0.0)

    for target in targets:
        for i in range(warmup):
            await sessions[target.name].click("greet", f"warm{i}")

    per_round = clicks // rounds
    for r in range(rounds):
        for target in rotated(targets, r):
            session = sessions[target.name]
            times: list[float] = []
            cpu0 = cpu_seconds(target.pid)
            for i in range(per_round):
                name = f"user{r}-{i}"
                start = time.perf_counter()
                reply = await session.click("greet", name)
                times.append(time.perf_counter() - start)
                if target.kind != "floor" and reply != f"Hello {name}!":
                    raise BenchError(f"{target.name} answered {reply!r}")
            cpu[target.name] += cpu_seconds(target.pid) - cpu0
            latencies[target.name].extend(times)
            round_p50[target.name].append(percentile(times, 50))

    await close_many(list(sessions.values()))
    return {
        name: {
            "clicks": len(times),
            "p50_ms": percentile(times, 50) * 1e3,
            "p99_ms": percentile(times, 99) * 1e3,
            "mean_ms": statistics.fmean(times) * 1e3,
            "round_p50_ms": [v * 1e3 for v in round_p50[name]],
            "server_cpu_ms_per_click": cpu[name] / len(times) * 1e3,
        }
        for name, times in latencies.items()
    }


# -- closed-loop windows: throughput and batching --------------------------------------


@dataclass
class Window:
    """What one measurement window of a closed loop saw."""

    events: int
    seconds: float
    cpu_seconds: float
    client_cpu_seconds: float
    latencies: list[float]
    errors: int
    abandoned: int
    warmup_seconds: float


async def wait_quiet(pid: int, limit: float = 10.0) -> None:
    """Wait until a server's CPU use drops under 10% of a core, for a while.

    Work left over from one window (Gradio drains a closed tab's queued
    events) must not run during the next target's window.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.3)
        if cpu_seconds(pid) - before < 0.03:
            return


async def closed_loop(
    target: Target,
    sessions: list[Session],
    act: Callable[[Session, int, int], Awaitable[None]],
    warmup: float,
    window: float,
    warmup_cap: float,
) -> Window:
    """Every session acts back to back; count what ends inside the window.

    Requests still in flight when the window ends are abandoned (their
    sessions close), so a slow target cannot stretch the run.
    """
    stop = asyncio.Event()
    done: list[tuple[float, float]] = []
    errors = 0

    async def loop(index: int, session: Session) -> None:
        nonlocal errors
        for count in range(1_000_000):
            if stop.is_set():
                return
            start = time.perf_counter()
            try:
                await act(session, index, count)
            except (BenchError, asyncio.TimeoutError, aiohttp.ClientError) as exc:
                log.warning("%s: %s", target.name, exc)
                errors += 1
                return
            end = time.perf_counter()
            done.append((end, end - start))

    tasks = [asyncio.create_task(loop(i, s)) for i, s in enumerate(sessions)]
    # Warm up for at least ``warmup`` and until every session could have had
    # one answer: a slow target would otherwise be measured while its queue
    # is still filling (Gradio at 500 sessions finished nothing in 5 s).
    started = time.perf_counter()
    await asyncio.sleep(warmup)
    while len(done) < len(sessions) and time.perf_counter() - started < warmup_cap:
        await asyncio.sleep(0.1)
    warmed = time.perf_counter() - started
    cpu0, client0, t0 = (
        cpu_seconds(target.pid),
        cpu_seconds(os.getpid()),
        time.perf_counter(),
    )
    await asyncio.sleep(window)
    cpu1, client1, t1 = (
        cpu_seconds(target.pid),
        cpu_seconds(os.getpid()),
        time.perf_counter(),
    )
    stop.set()
    _, pending = await asyncio.wait(tasks, timeout=ABANDON_AFTER)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)

    inside = [lat for end, lat in done if t0 <= end < t1]
    return Window(
        events=len(inside),
        seconds=t1 - t0,
        cpu_seconds=cpu1 - cpu0,
        client_cpu_seconds=client1 - client0,
        latencies=inside,
        errors=errors,
        abandoned=len(pending),
        warmup_seconds=warmed,
    )


def summarise_windows(windows: list[Window]) -> dict[str, Any]:
    """Medians over rounds, latencies pooled."""
    rates = [w.events / w.seconds for w in windows]
    cpu = [w.cpu_seconds / w.events for w in windows if w.events]
    client = [w.client_cpu_seconds / w.events for w in windows if w.events]
    pooled = [lat for w in windows for lat in w.latencies]
    return {
        "events_per_s": statistics.median(rates),
        "round_events_per_s": rates,
        "server_cpu_ms_per_event": statistics.median(cpu) * 1e3 if cpu else None,
        "client_cpu_ms_per_event": statistics.median(client) * 1e3 if client else None,
        "abandoned": sum(w.abandoned for w in windows),
        "warmup_s": [round(w.warmup_seconds, 1) for w in windows],
        "latency_p50_ms": percentile(pooled, 50) * 1e3,
        "latency_p99_ms": percentile(pooled, 99) * 1e3,
        "errors": sum(w.errors for w in windows),
    }


def transpose(table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{case: {target: x}} as {target: {case: x}}, the shape reports use."""
    out: dict[str, dict[str, Any]] = {}
    for case, by_target in table.items():
        for target, figures in by_target.items():
            out.setdefault(target, {})[case] = figures
    return out


async def windows_by_target(
    http: aiohttp.ClientSession,
    targets: list[Target],
    sessions: int,
    act: Callable[[Session, int, int], Awaitable[None]],
    params: dict[str, Any],
) -> dict[str, Any]:
    """Interleaved closed-loop windows with fresh sessions each round.

    ``params`` gives ``rounds``, ``warmup`` and ``warmup_cap`` (seconds
    before a window, at least and at most), ``window`` (seconds counted) and
    ``quiet_cap`` (longest wait for the server to go idle after a window).
    """
    windows: dict[str, list[Window]] = {t.name: [] for t in targets}
    for target in targets:
        # First calls pay for lazy imports and caches; keep them out of the
        # windows (Gradio's first round ran at 2 events/s without this).
        warm = await open_many(http, target, 1, requests_only=True)
        for count in range(WARMUP_CALLS):
            await act(warm[0], 0, count)
        await close_many(warm)
    for r in range(params["rounds"]):
        for target in rotated(targets, r):
            opened = await open_many(http, target, sessions, requests_only=True)
            window = await closed_loop(
                target,
                opened,
                act,
                params["warmup"],
                params["window"],
                params["warmup_cap"],
            )
            windows[target.name].append(window)
            await close_many(opened)
            await wait_quiet(target.pid, params["quiet_cap"])
    return {name: summarise_windows(ws) for name, ws in windows.items()}


async def throughput(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """Many sessions clicking a trivial listener with no concurrency limit."""

    async def act(session: Session, index: int, count: int) -> None:
        text = f"s{index}-{count}"
        if await session.click("echo", text) != text:
            raise BenchError("echo answered something else")

    by_level = {
        str(sessions): await windows_by_target(http, targets, sessions, act, params)
        for sessions in params["sessions"]
    }
    return transpose(by_level)


async def batching(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """Many sessions calling a 20 ms function, batched by 16 and one by one."""
    results: dict[str, Any] = {}
    for api_name in ("upper_batched", "upper_single"):

        async def act(
            session: Session, index: int, count: int, api: str = api_name
        ) -> None:
            text = f"s{index}-{count}"
            if await session.click(api, text) != text.upper():
                raise BenchError(f"{api} answered something else")

        results[api_name] = await windows_by_target(
            http, targets, params["sessions"], act, params
        )
    return transpose(results)


# -- scenario 3: streaming -----------------------------------------------------------


def expected_stream(tokens: int) -> str:
    """The final text of the streaming app (apps/streaming.py)."""
    return "".join(f"{i:04d} " for i in range(tokens))


async def stream_once(session: Session, tokens: int) -> tuple[str, str, int]:
    """Run the generator once: (streamed value, final value, updates seen)."""
    if isinstance(session, FloorSession):
        text, parts = await session.stream(tokens)
        return text, text, parts
    if isinstance(session, RBSession):
        button = session.listener_target("stream")
        output = session.component("Tokens")
        before = session.updates.get(output, 0)
        await session.trigger(button, "click")
        final = session.values[output]
        return final, final, session.updates.get(output, 0) - before
    event = await session.submit_event("stream", [])
    final = (await event.done)[0]
    streamed = event.values[0] if event.values else ""
    return streamed, final, event.generating


async def streaming(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """A generator's 2,000 tokens into a Textbox: rate, time, bytes, exactness."""
    tokens, rounds = params["tokens"], params["rounds"]
    expected = expected_stream(tokens)
    runs: dict[str, list[dict[str, float]]] = {t.name: [] for t in targets}
    for r in range(rounds):
        for target in rotated(targets, r):
            # A fresh tab each run, as a user pressing the button once would be.
            session = await open_session(
                target.kind, http, target.url, target.gradio_app
            )
            bytes0, cpu0 = session.bytes_in, cpu_seconds(target.pid)
            start = time.perf_counter()
            streamed, final, updates = await stream_once(session, tokens)
            elapsed = time.perf_counter() - start
            cpu = cpu_seconds(target.pid) - cpu0
            if streamed != expected or final != expected:
                raise BenchError(
                    f"{target.name} streamed {len(streamed)} chars, final "
                    f"{len(final)}, expected {len(expected)}"
                )
            runs[target.name].append(
                {
                    "seconds": elapsed,
                    "bytes": session.bytes_in - bytes0,
                    "updates": updates,
                    "cpu": cpu,
                }
            )
            await session.close()

    def med(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    return {
        name: {
            "tokens": tokens,
            "yields_per_s": tokens / med(name, "seconds"),
            "time_to_final_ms": med(name, "seconds") * 1e3,
            "bytes_on_wire": med(name, "bytes"),
            "updates_received": med(name, "updates"),
            "server_cpu_ms": med(name, "cpu") * 1e3,
            "final_value_exact": True,
        }
        for name in runs
    }


# -- scenario 4: slider ------------------------------------------------------------------


async def send_paced(
    values: list[int], rate: float, send: Callable[[int], Awaitable[None]]
) -> tuple[float, float]:
    """Send values at ``rate`` per second on an absolute schedule.

    Returns the achieved rate and the time of the last send.
    """
    start = time.perf_counter()
    for i, value in enumerate(values):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(value)
    last = time.perf_counter()
    return len(values) / max(last - start, 1e-9), last


def slider_sender(session: Session) -> Callable[[int], Awaitable[None]]:
    """How a tab moves the slider: a ``set`` here, a queue join in Gradio."""
    if isinstance(session, RBSession):
        slider_id = session.component("Value")
        return lambda value: session.set(slider_id, value)
    if isinstance(session, GradioSession):
        return lambda value: session.change("double", [value])
    raise BenchError("the slider scenario has no floor")


async def slider_settled(session: Session, final: str) -> int:
    """Wait for f(last value) in the output; return the fn's total runs."""
    if isinstance(session, RBSession):
        await session.wait_value(session.component("Doubled"), final, timeout=60)
        return int(session.values[session.component("Runs")])
    if isinstance(session, GradioSession):
        await session.wait_output("double", 0, final, timeout=60)
        return int(session.last_outputs["double"][1])
    raise BenchError("the slider scenario has no floor")


async def slider(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """2,000 slider values at 1 kHz into an ``always_last`` 5 ms listener."""
    count, rate, rounds = params["values"], params["rate"], params["rounds"]
    values = list(range(1, count + 1))
    final = f"{values[-1] * 2:g}"
    runs_before = dict.fromkeys((t.name for t in targets), 0)
    rows: dict[str, list[dict[str, float]]] = {t.name: [] for t in targets}

    for r in range(rounds):
        for target in rotated(targets, r):
            session = await open_session(
                target.kind, http, target.url, target.gradio_app
            )
            cpu0 = cpu_seconds(target.pid)
            achieved, last = await send_paced(values, rate, slider_sender(session))
            total_runs = await slider_settled(session, final)
            settled = time.perf_counter()

            rows[target.name].append(
                {
                    "fn_runs": total_runs - runs_before[target.name],
                    "last_send_to_final_ms": (settled - last) * 1e3,
                    "send_rate_hz": achieved,
                    "cpu": cpu_seconds(target.pid) - cpu0,
                }
            )
            runs_before[target.name] = total_runs
            await session.close()
            await asyncio.sleep(0.5)

    def med(name: str, key: str) -> float:
        return statistics.median(row[key] for row in rows[name])

    return {
        name: {
            "values_sent": count,
            "send_rate_hz": med(name, "send_rate_hz"),
            "fn_runs": med(name, "fn_runs"),
            "final_output_ok": True,
            "last_send_to_final_ms": med(name, "last_send_to_final_ms"),
            "server_cpu_ms": med(name, "cpu") * 1e3,
        }
        for name in rows
    }


# -- scenario 5: memory ------------------------------------------------------------------


async def memory(
    http: aiohttp.ClientSession, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """RSS and gc objects per idle session at each level, and after closing."""
    levels: list[int] = params["levels"]
    settle: float = params["settle"]
    results: dict[str, Any] = {}
    for target in targets:
        base = await server_stats(target)
        sessions: list[Session] = []
        row: dict[str, Any] = {"baseline_rss_mb": base["rss"] / 2**20}
        for level in levels:
            sessions += await open_many(http, target, level - len(sessions))
            await asyncio.sleep(settle)
            stats = await server_stats(target)
            row[str(level)] = {
                "rss_mb": stats["rss"] / 2**20,
                "kb_per_session": (stats["rss"] - base["rss"]) / level / 1024,
                "gc_objects_per_session": (stats["gc_objects"] - base["gc_objects"])
                / level,
            }
        await close_many(sessions)
        await asyncio.sleep(settle * 2)
        after = await server_stats(target)
        row["after_close"] = {
            "rss_mb": after["rss"] / 2**20,
            "rss_retained_mb": (after["rss"] - base["rss"]) / 2**20,
            "gc_objects_retained": after["gc_objects"] - base["gc_objects"],
        }
        results[target.name] = row
    return results


# -- entry point ---------------------------------------------------------------------------

SCENARIOS: Final[
    dict[
        str,
        Callable[
            [aiohttp.ClientSession, list[Target], dict[str, Any]],
            Awaitable[dict[str, Any]],
        ],
    ]
] = {
    "roundtrip": roundtrip,
    "throughput": throughput,
    "streaming": streaming,
    "slider": slider,
    "memory": memory,
    "batching": batching,
}


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one scenario against the targets in ``spec``."""
    targets = [Target(**t) for t in spec["targets"]]
    async with new_http() as http:
        for target in targets:
            if target.kind == "gradio":
                target.gradio_app = await GradioApp.load(http, target.url)
        return await SCENARIOS[spec["scenario"]](http, targets, spec["params"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = asyncio.run(main(orjson.loads(sys.argv[1])))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
