"""Scheduling against real servers: cancels, chains, groups, queue, batches, timers."""

from __future__ import annotations

import asyncio
import itertools
import queue
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import orjson
import pandas as pd
import pytest
import websockets
from in_flight import InFlight
from waiting import wait_event, wait_until

import reactive_blocks as gr
from reactive_blocks.protocol import PROTOCOL_VERSION, apply_edits
from reactive_blocks.session import _outbox

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, RawSocket, Sockets

TIMEOUT: Final = 10.0


# -- waiting and reading ---------------------------------------------------------


async def until(sock: RawSocket, done: Callable[[Message], bool]) -> list[Message]:
    """Messages up to and including the first for which ``done`` holds.

    The server's ``ack``s, which only count messages for resuming, are left out.
    """
    received = await sock.receive_until(lambda m: m["type"] != "ack" and done(m))
    return [m for m in received if m["type"] != "ack"]


async def handled(sock: RawSocket) -> list[Message]:
    """Ping; return every message but acks that came before the pong."""
    return [m for m in await sock.ping() if m["type"] != "ack"]


def ended(event: int) -> Callable[[Message], bool]:
    return lambda m: m["type"] == "end" and m["event"] == event


def ended_by_ref(ref: int) -> Callable[[Message], bool]:
    return lambda m: m["type"] == "end" and m.get("ref") == ref


def ends(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m["type"] == "end"]


def toasts(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m["type"] == "toast"]


def toast(level: str, text: str, *, duration: float | None = 10) -> Message:
    """The toast message of event 1 that gr.Info/gr.Warning(text) sends."""
    return {
        "type": "toast",
        "event": 1,
        "level": level,
        "message": text,
        "duration": duration,
    }


def stages(messages: list[Message], event: int) -> list[tuple[str, int | None]]:
    """The (stage, position) of each ``event`` message about ``event``."""
    return [
        (m["stage"], m.get("position"))
        for m in messages
        if m["type"] == "event" and m["event"] == event
    ]


def mirror(values: dict[int, Any], messages: list[Message]) -> dict[int, Any]:
    """Apply the value changes of ``update`` messages to ``values``."""
    for message in messages:
        if message["type"] != "update":
            continue
        for block_id, prop, value, *form in message["changes"]:
            if prop != "value":
                continue
            if form == ["append"]:
                values[block_id] = values[block_id] + value
            elif form == ["edit"]:
                values[block_id] = apply_edits(values[block_id], value)
            else:
                values[block_id] = value
    return values


def trigger(block: gr.Button, ref: int) -> Message:
    return {"type": "trigger", "id": block.id, "event": "click", "ref": ref}


def call(api_name: str, inputs: list[Any], ref: int) -> Message:
    return {"type": "call", "api_name": api_name, "inputs": inputs, "ref": ref}


# -- cancels= ------------------------------------------------------------------------


async def test_cancel_stops_a_sync_generator_at_its_next_yield_and_closes_it(
    launch: Apps, sockets: Sockets
) -> None:
    """A cancelled sync generator ends cancelled, yields nothing more, and its finally runs."""
    release, went_on, closed = threading.Event(), threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        def count() -> Iterator[str]:
            try:
                yield "one"
                release.wait(TIMEOUT)
                yield "two"
                went_on.set()
                yield "three"
            finally:
                closed.set()

        counting = run.click(count, None, out)
        stop.click(None, None, None, cancels=[counting])

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    first = await until(sock, lambda m: m["type"] == "update")
    await sock.send(trigger(stop, 2))
    cancelling = await until(sock, ended(1))
    release.set()
    await wait_event(closed)
    after = await handled(sock)

    assert mirror({out.id: ""}, first + cancelling + after) == {out.id: "one"}
    assert sorted(ends(cancelling + after), key=lambda m: m["event"]) == [
        {"type": "end", "event": 1, "listener": 0, "outcome": "cancelled", "ref": 1},
        {"type": "end", "event": 2, "listener": 1, "outcome": "done", "ref": 2},
    ]
    assert not went_on.is_set()


async def test_cancel_of_always_last_never_starts_the_waiting_run(
    launch: Apps, sockets: Sockets
) -> None:
    """Stop ends the running event and the one waiting behind it; that one never runs.

    Without a concurrency limit, the waiting event would start the moment the
    running one ended, if that one were cancelled first.
    """
    release = threading.Event()
    runs: list[int] = []
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        def work() -> str:
            runs.append(len(runs) + 1)
            release.wait(TIMEOUT)
            return "worked"

        working = run.click(
            work, None, out, trigger_mode="always_last", concurrency_limit=None
        )
        stop.click(None, None, None, cancels=[working])

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    await wait_until(lambda: runs == [1])
    await sock.send(trigger(run, 2))
    await sock.send(trigger(stop, 3))
    stopped = await until(sock, ended_by_ref(3))
    release.set()
    after = await handled(sock)

    assert sorted((m["ref"], m["outcome"]) for m in ends(stopped + after)) == [
        (1, "cancelled"),
        (2, "cancelled"),
        (3, "done"),
    ]
    assert runs == [1]


async def test_cancel_removes_a_queued_trigger_which_never_runs(
    launch: Apps, sockets: Sockets
) -> None:
    """A queued trigger that is cancelled ends cancelled once and its function never runs."""
    release = threading.Event()
    ran: list[str] = []
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        def work(who: str) -> str:
            ran.append(who)
            release.wait(TIMEOUT)
            return f"done for {who}"

        working = run.click(work, name, out, trigger_mode="multiple")
        stop.click(None, None, None, cancels=[working])

    url = launch(demo)
    first, _ = await sockets.open(url)
    second, _ = await sockets.open(url)
    await first.send({"type": "set", "id": name.id, "value": "first"})
    await first.send(trigger(run, 1))
    await wait_until(lambda: ran == ["first"])
    await second.send({"type": "set", "id": name.id, "value": "second"})
    await second.send(trigger(run, 1))
    queued = await until(second, lambda m: m["type"] == "event")
    await second.send(trigger(stop, 2))
    cancelled = await until(second, ended(1))

    release.set()
    await until(first, ended(1))
    # The group serves in arrival order: a second queued run of "first" can
    # only finish after the cancelled one would have run.
    await first.send(trigger(run, 2))
    await until(first, ended(2))
    later = await handled(second)

    assert ran == ["first", "first"]
    assert stages(queued + cancelled + later, 1) == [("queued", 0)]
    assert ends(cancelled + later) == [
        {"type": "end", "event": 1, "listener": 0, "outcome": "cancelled", "ref": 1},
        {"type": "end", "event": 2, "listener": 1, "outcome": "done", "ref": 2},
    ]


async def test_cancel_stops_an_async_function_at_once(
    launch: Apps, sockets: Sockets
) -> None:
    """A cancelled async function gets CancelledError at its await and ends cancelled once."""
    started, interrupted = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox("unchanged", label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        async def wait_long() -> str:
            started.set()
            try:
                await asyncio.sleep(TIMEOUT * 3)
            except asyncio.CancelledError:
                interrupted.set()
                raise
            return "never"

        waiting = run.click(wait_long, None, out)
        stop.click(None, None, None, cancels=[waiting])

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    await wait_event(started)
    await sock.send(trigger(stop, 2))
    received = await until(sock, ended(1))
    received += await handled(sock)

    assert interrupted.is_set()
    assert [m for m in ends(received) if m["event"] == 1] == [
        {"type": "end", "event": 1, "listener": 0, "outcome": "cancelled", "ref": 1}
    ]
    assert mirror({out.id: "unchanged"}, received) == {out.id: "unchanged"}


async def test_cancel_lets_a_sync_function_finish_but_drops_its_outputs(
    launch: Apps, sockets: Sockets
) -> None:
    """A cancelled sync function ends cancelled at once, runs on, and its output is dropped."""
    started, release, finished = (threading.Event() for _ in range(3))
    with gr.Blocks() as demo:
        out = gr.Textbox("unchanged", label="Out")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        def slow() -> str:
            started.set()
            release.wait(TIMEOUT)
            finished.set()
            return "late"

        slowly = run.click(slow, None, out)
        stop.click(None, None, None, cancels=[slowly])
        gr.Button("Read").click(lambda text: text, out, None, api_name="read")

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    await wait_event(started)
    await sock.send(trigger(stop, 2))
    received = await until(sock, ended(1))
    assert not finished.is_set()

    release.set()
    await wait_event(finished)
    await sock.send(call("read", ["from the client"], 3))
    received += await until(sock, ended(3))
    received += await handled(sock)

    assert [m for m in ends(received) if m["event"] == 1] == [
        {"type": "end", "event": 1, "listener": 0, "outcome": "cancelled", "ref": 1}
    ]
    assert mirror({out.id: "unchanged"}, received) == {out.id: "unchanged"}


# -- chains --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("done", ["success", "then"]),
        ("error", ["failure", "then"]),
        ("cancel", ["then"]),
    ],
)
async def test_followers_run_according_to_how_their_listener_ended(
    launch: Apps, how: str, expected: list[str]
) -> None:
    """.then follows every end, .success only done, .failure only error."""
    started = threading.Event()
    followed: list[str] = []
    with gr.Blocks() as demo:
        mode = gr.Textbox(label="Mode")
        run, stop = gr.Button("Run"), gr.Button("Stop")

        async def step(chosen: str) -> None:
            started.set()
            if chosen == "error":
                raise ValueError("failed on purpose")
            if chosen == "cancel":
                await asyncio.sleep(TIMEOUT * 3)

        stepping = run.click(step, mode, None)
        stepping.then(lambda: followed.append("then"))
        stepping.success(lambda: followed.append("success"))
        stepping.failure(lambda: followed.append("failure"))
        stop.click(None, None, None, cancels=[stepping])

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(mode.id, how)
        await client.trigger(run.id, "click")
        if how == "cancel":
            await wait_event(started)
            await client.trigger(stop.id, "click")
        await client.settle()

    assert sorted(followed) == expected


async def test_a_run_cancelled_while_it_waits_is_followed_by_then_only(
    launch: Apps,
) -> None:
    """As in Gradio: .then runs after a cancel of a waiting run, .success does not."""
    release = threading.Event()
    followed: list[str] = []
    with gr.Blocks() as demo:
        block, run, stop = gr.Button("Block"), gr.Button("Run"), gr.Button("Stop")
        block.click(lambda: release.wait(TIMEOUT), concurrency_id="slot")
        waiting = run.click(lambda: followed.append("ran"), concurrency_id="slot")
        waiting.then(lambda: followed.append("then"))
        waiting.success(lambda: followed.append("success"))
        stop.click(None, None, None, cancels=[waiting])

    async with gr.AsyncClient(launch(demo)) as client:
        await client.trigger(block.id, "click")
        await client.trigger(run.id, "click")
        await client.sync()
        await client.trigger(stop.id, "click")
        await wait_until(lambda: followed == ["then"])
        release.set()
        await client.settle()

    assert followed == ["then"]


# -- concurrency groups --------------------------------------------------------------


async def test_concurrency_limit_one_serialises_two_sessions(
    launch: Apps, sockets: Sockets
) -> None:
    """With concurrency_limit=1 a second session's run waits queued; never two at once."""
    release = threading.Event()
    running = InFlight()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Run")

        def work() -> str:
            with running:
                release.wait(TIMEOUT)
            return "worked"

        run.click(work, None, out, concurrency_limit=1)

    url = launch(demo)
    first, _ = await sockets.open(url)
    second, _ = await sockets.open(url)
    await first.send(trigger(run, 1))
    await until(first, lambda m: m.get("stage") == "running")
    await second.send(trigger(run, 1))
    waiting = await until(second, lambda m: m["type"] == "event")
    release.set()
    first_messages = await until(first, ended(1))
    second_messages = waiting + await until(second, ended(1))

    # A run that ends within STATUS_GAP of starting sends no "running".
    assert stages(second_messages, 1)[0] == ("queued", 0)
    assert ends(first_messages)[0]["outcome"] == "done"
    assert ends(second_messages)[0]["outcome"] == "done"
    assert running.peak == 1


async def test_concurrency_limit_none_runs_sessions_together(launch: Apps) -> None:
    """With concurrency_limit=None two sessions' runs meet inside the function."""
    both_in = threading.Barrier(2, timeout=TIMEOUT)
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")

        def meet() -> str:
            both_in.wait()
            return "met"

        gr.Button("Run").click(meet, None, out, concurrency_limit=None)

    url = launch(demo)
    async with gr.AsyncClient(url) as one, gr.AsyncClient(url) as two:
        results = await asyncio.gather(
            one.predict(api_name="meet"), two.predict(api_name="meet")
        )

    assert results == ["met", "met"]


async def test_shared_concurrency_id_runs_at_its_lowest_limit(
    launch: Apps, sockets: Sockets
) -> None:
    """Two listeners sharing a concurrency_id (limits 3 and 2) run two at once, not three."""
    release = threading.Event()
    running = InFlight()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        wide, narrow = gr.Button("Wide"), gr.Button("Narrow")

        def work() -> str:
            with running:
                release.wait(TIMEOUT)
            return "worked"

        wide.click(work, None, out, concurrency_id="gpu", concurrency_limit=3)
        narrow.click(work, None, out, concurrency_id="gpu", concurrency_limit=2)

    url = launch(demo)
    socks = [(await sockets.open(url))[0] for _ in range(3)]
    await socks[0].send(trigger(wide, 1))
    await socks[1].send(trigger(narrow, 1))
    await wait_until(lambda: running.now == 2)
    await socks[2].send(trigger(wide, 1))
    waiting = await until(socks[2], lambda m: m["type"] == "event")
    release.set()
    last = waiting + await until(socks[2], ended(1))

    assert stages(last, 1)[0] == ("queued", 0)
    assert ends(last)[0]["outcome"] == "done"
    assert running.peak == 2


# -- the queue -------------------------------------------------------------------------


async def test_full_queue_refuses_only_the_excess_trigger(
    launch: Apps, sockets: Sockets
) -> None:
    """With max_size=1 a third trigger is refused queue_full to its client only."""
    release = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Run")

        def work() -> str:
            release.wait(TIMEOUT)
            return "worked"

        run.click(work, None, out, trigger_mode="multiple")
    demo.queue(max_size=1)

    url = launch(demo)
    first, _ = await sockets.open(url)
    second, _ = await sockets.open(url)
    await first.send(trigger(run, 1))
    await first.send(trigger(run, 2))
    first_messages = await until(first, lambda m: m.get("stage") == "queued")
    await second.send(trigger(run, 1))
    refused = await until(second, ended(1))
    release.set()
    first_messages += await until(first, ended(2))

    assert refused == [
        {
            "type": "end",
            "event": 1,
            "listener": 0,
            "outcome": "refused",
            "code": "queue_full",
            "message": "the queue is full; try again in a moment",
            "ref": 1,
        }
    ]
    assert [(m["event"], m["outcome"]) for m in ends(first_messages)] == [
        (1, "done"),
        (2, "done"),
    ]


async def test_queue_false_bypasses_a_busy_group(launch: Apps) -> None:
    """A queue=False listener runs while its concurrency group is busy."""
    started, release = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        slow_out = gr.Textbox(label="Slow")
        quick_out = gr.Textbox(label="Quick")

        def slow() -> str:
            started.set()
            release.wait(TIMEOUT)
            return "slow"

        def quick() -> str:
            return "quick"

        gr.Button("Slow").click(slow, None, slow_out, concurrency_id="busy")
        gr.Button("Quick").click(
            quick, None, quick_out, concurrency_id="busy", queue=False
        )

    async with gr.AsyncClient(launch(demo)) as client:
        slowly = asyncio.create_task(client.predict(api_name="slow"))
        await wait_event(started)

        assert await client.predict(api_name="quick") == "quick"
        assert not slowly.done()
        release.set()
        assert await slowly == "slow"


async def test_queued_events_are_told_their_shrinking_positions(
    launch: Apps, sockets: Sockets
) -> None:
    """Each queued run is pushed its position, one less each time the queue moves."""
    turns = threading.Semaphore(0)
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Run")

        def work() -> str:
            assert turns.acquire(timeout=TIMEOUT)
            return "worked"

        run.click(work, None, out)

    url = launch(demo)
    socks = [(await sockets.open(url))[0] for _ in range(4)]
    seen: dict[int, list[Message]] = defaultdict(list)
    await socks[0].send(trigger(run, 1))
    seen[0] += await until(socks[0], lambda m: m["type"] == "event")
    for n in (1, 2, 3):
        await socks[n].send(trigger(run, 1))
        seen[n] += await until(socks[n], lambda m: m["type"] == "event")
    for n in (1, 2, 3):
        turns.release()
        seen[n] += await until(socks[n], lambda m: m.get("stage") == "running")
        for later in range(n + 1, 4):
            seen[later] += await until(socks[later], lambda m: m["type"] == "event")
    turns.release()
    seen[3] += await until(socks[3], ended(1))

    assert stages(seen[1], 1) == [("queued", 0), ("running", None)]
    assert stages(seen[2], 1) == [("queued", 1), ("queued", 0), ("running", None)]
    assert stages(seen[3], 1) == [
        ("queued", 2),
        ("queued", 1),
        ("queued", 0),
        ("running", None),
    ]
    queued = [m for m in seen[3] if m.get("stage") == "queued"]
    assert "eta" not in queued[0]
    assert all(m["eta"] >= 0 for m in queued[1:])


# -- time limits ---------------------------------------------------------------------


async def test_time_limit_stops_a_function_and_keeps_a_generators_last_yield(
    launch: Apps,
) -> None:
    """Past time_limit a function ends in error; a generator ends done on its last yield."""
    release = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        streamed = gr.Textbox(label="Streamed")

        def slow() -> str:
            release.wait(TIMEOUT)
            return "late"

        def stream() -> Iterator[str]:
            yield "first"
            release.wait(TIMEOUT)
            yield "second"

        gr.Button("Slow").click(slow, None, out, time_limit=0.3)
        gr.Button("Stream").click(stream, None, streamed, time_limit=0.3)

    try:
        async with gr.AsyncClient(launch(demo)) as client:
            slowly = client.predict(api_name="slow")
            streaming = client.predict(api_name="stream")
            error, last = await asyncio.gather(
                slowly, streaming, return_exceptions=True
            )
            await client.settle()

            assert isinstance(error, gr.EventError)
            assert error.outcome == "error"
            assert str(error) == (
                "error: listener 'slow' ran longer than its time_limit of 0.3 s "
                "and was stopped"
            )
            assert last == "first"
            assert client.values[streamed.id] == "first"
            assert client.values[out.id] == ""
    finally:
        release.set()


async def test_a_timeout_error_the_function_raises_is_its_own_error(
    launch: Apps,
) -> None:
    """A TimeoutError raised by the function ends in error with its own text."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")

        def fetch() -> str:
            raise TimeoutError("upstream did not answer")

        def stream() -> Iterator[str]:
            yield "partial"
            raise TimeoutError("upstream did not answer")

        gr.Button("Fetch").click(fetch, None, out)
        gr.Button("Stream").click(stream, None, out)

    async with gr.AsyncClient(launch(demo, show_error=True)) as client:
        for api_name in ("fetch", "stream"):
            with pytest.raises(gr.EventError) as caught:
                await client.predict(api_name=api_name)

            assert str(caught.value) == "error: TimeoutError: upstream did not answer"


# -- batches -------------------------------------------------------------------------


async def test_batch_gathers_sessions_into_calls_of_at_most_max_batch_size(
    launch: Apps, sockets: Sockets
) -> None:
    """Queued calls from five sessions run as batches of at most 3, each getting its own item."""
    release = threading.Event()
    sizes: list[int] = []
    with gr.Blocks() as demo:
        word = gr.Textbox(label="Word")
        out = gr.Textbox(label="Out")

        def shout(words: list[str]) -> tuple[list[str]]:
            sizes.append(len(words))
            if len(sizes) == 1:
                release.wait(TIMEOUT)
            return ([f"{w.upper()}!" for w in words],)

        gr.Button("Shout").click(
            shout, word, out, batch=True, max_batch_size=3, api_name="shout"
        )

    url = launch(demo)
    socks = [(await sockets.open(url))[0] for _ in range(5)]
    await socks[0].send(call("shout", ["s0"], 1))
    await wait_until(lambda: sizes == [1])
    for n, sock in enumerate(socks[1:], start=1):
        await sock.send(call("shout", [f"s{n}"], 1))
        await handled(sock)
    release.set()
    results = [ends(await until(sock, ended(1)))[0] for sock in socks]

    assert sizes == [1, 3, 1]
    assert [r["outputs"] for r in results] == [[f"S{n}!"] for n in range(5)]
    assert {r["outcome"] for r in results} == {"done"}


async def test_batch_accepts_a_list_of_one_list_for_one_output(launch: Apps) -> None:
    """A batch function returning [results] for its one output gives each caller its item."""
    with gr.Blocks() as demo:
        word = gr.Textbox(label="Word")
        out = gr.Textbox(label="Out")

        def shout(words: list[str]) -> list[list[str]]:
            return [[w.upper() for w in words]]

        gr.Button("Shout").click(shout, word, out, batch=True, api_name="shout")

    url = launch(demo)
    async with gr.AsyncClient(url) as one, gr.AsyncClient(url) as two:
        results = await asyncio.gather(
            one.predict("one", api_name="shout"), two.predict("two", api_name="shout")
        )

    assert results == ["ONE", "TWO"]


async def test_a_batch_returning_bare_results_is_told_the_shape_it_must_return(
    launch: Apps,
) -> None:
    """A flat list of strings for one output names the shape, not len("q!")."""
    with gr.Blocks() as demo:
        word = gr.Textbox(label="Word")
        out = gr.Textbox(label="Out")
        gr.Button().click(
            lambda words: [w + "!" for w in words],
            word,
            out,
            batch=True,
            api_name="bang",
        )

    async with gr.AsyncClient(launch(demo, show_error=True)) as client:
        with pytest.raises(gr.EventError) as caught:
            await client.predict("q", api_name="bang")

    assert str(caught.value) == (
        "error: OutputError: batch listener 'bang' must return a tuple of 1 list, "
        "one per output, each with one item per call (here 1); it returned a list "
        "of 1: str"
    )


# -- trigger modes and edits ---------------------------------------------------------


async def test_always_last_runs_twice_for_thirty_sets_and_ends_on_the_last(
    launch: Apps, sockets: Sockets
) -> None:
    """Thirty sets during a run leave one waiting run, of the last value; the rest are replaced."""
    release = threading.Event()
    runs: list[str] = []
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        out = gr.Textbox(label="Out")

        def upper(value: str) -> str:
            runs.append(value)
            release.wait(TIMEOUT)
            return value.upper()

        text.change(upper, text, out)

    sock, _ = await sockets.open(launch(demo))
    for n in range(1, 31):
        await sock.send({"type": "set", "id": text.id, "value": f"v{n}"})
    received = await handled(sock)
    release.set()
    received += await until(sock, ended(30))

    # The first run reads the box when it starts, which may be after a few sets.
    assert len(runs) == 2
    assert runs[1] == "v30"
    assert [(m["event"], m["outcome"], m.get("code")) for m in ends(received)] == [
        *((n, "refused", "replaced") for n in range(2, 30)),
        (1, "done", None),
        (30, "done", None),
    ]
    assert mirror({out.id: ""}, received) == {out.id: "V30"}


async def test_a_newer_user_edit_is_never_overwritten_by_an_older_run(
    launch: Apps,
) -> None:
    """A run's output into the box being edited loses to the newer edit; the next run sees it."""
    started, release = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        run = gr.Button("Upper")

        def slow_upper(value: str) -> str:
            started.set()
            release.wait(TIMEOUT)
            return value.upper()

        run.click(slow_upper, text, text)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(text.id, "a")
        await client.trigger(run.id, "click")
        await wait_event(started)
        await client.set(text.id, "ab")
        await client.sync()
        release.set()
        await client.settle()
        assert client.values[text.id] == "ab"

        await client.trigger(run.id, "click")
        await client.settle()
        assert client.values[text.id] == "AB"


# -- progress and toasts -------------------------------------------------------------


async def test_progress_is_pushed_with_growing_fractions_ending_at_one(
    launch: Apps, sockets: Sockets
) -> None:
    """gr.Progress sends progress messages whose fraction grows to 1 before the end."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Read")

        def read(progress: gr.Progress = gr.Progress()) -> str:
            for _ in progress.tqdm(range(4), desc="Reading"):
                time.sleep(0.06)
            return "read"

        run.click(read, None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    received = await until(sock, ended(1))
    progress = [m for m in received if m["type"] == "progress"]
    fractions = [m["fraction"] for m in progress]

    assert len(fractions) >= 2
    assert fractions == sorted(set(fractions))
    assert progress[-1] == {
        "type": "progress",
        "event": 1,
        "fraction": 1.0,
        "index": 4,
        "length": 4,
        "desc": "Reading",
        "unit": "steps",
    }
    assert received[-1] == {
        "type": "end",
        "event": 1,
        "listener": 0,
        "outcome": "done",
        "ref": 1,
    }


async def test_a_progress_report_too_soon_after_another_is_sent_late_not_lost(
    launch: Apps, sockets: Sockets
) -> None:
    """The newest report reaches the page while the function still runs."""
    release = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Work")

        def work(progress: gr.Progress = gr.Progress()) -> str:
            progress(0.3, desc="first")
            progress(0.6, desc="second")
            release.wait(TIMEOUT)
            return "done"

        run.click(work, None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    received = await until(
        sock, lambda m: m["type"] == "progress" and m["desc"] == "second"
    )
    release.set()
    received += await until(sock, ended(1))

    progress = [(m["fraction"], m["desc"]) for m in received if m["type"] == "progress"]
    assert progress[-1] == (0.6, "second")
    assert ends(received)[0]["outcome"] == "done"


async def test_warning_and_info_are_sent_as_toasts(
    launch: Apps, sockets: Sockets
) -> None:
    """gr.Warning and gr.Info send toasts with their level, text and duration."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Check")

        def check() -> str:
            gr.Warning("x is negative")
            gr.Info("using its absolute value", duration=None)
            return "checked"

        run.click(check, None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    received = await until(sock, ended(1))

    assert toasts(received) == [
        toast("warning", "x is negative"),
        toast("info", "using its absolute value", duration=None),
    ]
    assert received[-1] == {
        "type": "end",
        "event": 1,
        "listener": 0,
        "outcome": "done",
        "ref": 1,
    }


async def test_a_coroutine_a_sync_function_returns_runs_inside_its_run(
    launch: Apps, sockets: Sockets
) -> None:
    """A sync callable's coroutine is awaited as part of the run: its toast arrives."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Check")

        async def check() -> str:
            await asyncio.sleep(0)
            gr.Info("from the coroutine")
            return "checked"

        run.click(lambda: check(), None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    received = await until(sock, ended(1))

    assert toasts(received) == [toast("info", "from the coroutine")]
    assert mirror({out.id: ""}, received) == {out.id: "checked"}
    assert ends(received)[-1]["outcome"] == "done"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_function_that_exits_ends_its_run_not_the_server(
    launch: Apps, sockets: Sockets, kind: str
) -> None:
    """SystemExit from a listener's function is its error; the server carries on."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        leave, echo = gr.Button("Leave"), gr.Button("Echo")

        def leave_now() -> str:
            sys.exit(3)

        async def leave_soon() -> str:
            await asyncio.sleep(0)
            raise SystemExit(3)

        leave.click(leave_now if kind == "sync" else leave_soon, None, out)
        echo.click(lambda: "still here", None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(leave, 1))
    received = await until(sock, ended(1))
    await sock.send(trigger(echo, 2))
    received += await until(sock, ended(2))

    assert [(m["event"], m["outcome"]) for m in ends(received)] == [
        (1, "error"),
        (2, "done"),
    ]
    assert mirror({out.id: ""}, received) == {out.id: "still here"}


async def test_a_generator_warns_then_fails_after_a_yield(
    launch: Apps, sockets: Sockets
) -> None:
    """After a yield, gr.Warning toasts and gr.Error ends in error; the yielded value stays."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Run")

        def stream() -> Iterator[str]:
            yield "partial"
            gr.Warning("halfway there")
            raise gr.Error("stopped after the first part")

        run.click(stream, None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    received = await until(sock, ended(1))

    assert toasts(received) == [toast("warning", "halfway there")]
    assert received[-1] == {
        "type": "end",
        "event": 1,
        "listener": 0,
        "outcome": "error",
        "message": "stopped after the first part",
        "ref": 1,
    }
    assert mirror({out.id: ""}, received) == {out.id: "partial"}


# -- State ---------------------------------------------------------------------------


async def test_state_is_per_session_and_a_deep_copy_of_the_initial(
    launch: Apps,
) -> None:
    """Each session counts alone, and a list mutated in one session never shows in another."""
    seed = ["seed"]
    with gr.Blocks() as demo:
        count = gr.State(0)
        items = gr.State(seed)
        shown = gr.Textbox(label="Shown")
        add = gr.Button("Add")

        def append(n: int, listed: list[str]) -> tuple[int, list[str], str]:
            listed.append(f"item {n + 1}")
            return n + 1, listed, f"{n + 1}: {', '.join(listed)}"

        add.click(append, [count, items], [count, items, shown])

    url = launch(demo)
    async with gr.AsyncClient(url) as one, gr.AsyncClient(url) as two:
        for _ in range(3):
            await one.trigger(add.id, "click")
            await one.settle()
        await two.trigger(add.id, "click")
        await two.settle()

        assert one.values[shown.id] == "3: seed, item 1, item 2, item 3"
        assert two.values[shown.id] == "1: seed, item 1"
    assert seed == ["seed"]


def counting_state(**options: Any) -> tuple[gr.Blocks, gr.Button, gr.Textbox]:
    """A State counter with ``options``, a button adding 1, and a box showing it."""
    with gr.Blocks() as demo:
        count = gr.State(0, **options)
        shown = gr.Textbox(label="Shown")
        add = gr.Button("Add")

        def bump(n: int) -> tuple[int, str]:
            return n + 1, str(n + 1)

        add.click(bump, count, [count, shown], api_name="bump")
    return demo, add, shown


async def test_state_delete_callback_runs_once_when_the_session_closes(
    launch: Apps,
) -> None:
    """Closing a session deletes its State once, calling delete_callback with the value."""
    deleted: list[int] = []
    unloaded = threading.Event()
    demo, add, _ = counting_state(delete_callback=deleted.append)
    demo.unload(unloaded.set)

    async with gr.AsyncClient(launch(demo)) as client:
        for _ in range(2):
            await client.trigger(add.id, "click")
            await client.settle()
        assert deleted == []

    await wait_event(unloaded)
    await wait_until(lambda: deleted == [2])
    assert deleted == [2]


async def test_state_expires_after_its_time_to_live(launch: Apps) -> None:
    """After time_to_live a State is deleted through delete_callback and starts afresh."""
    deleted: list[int] = []
    demo, _, _ = counting_state(time_to_live=0.2, delete_callback=deleted.append)

    async with gr.AsyncClient(launch(demo)) as client:
        assert await client.predict(api_name="bump") == "1"
        await wait_until(lambda: deleted == [1])

        assert await client.predict(api_name="bump") == "1"


async def test_state_past_the_session_capacity_evicts_the_oldest(
    launch: Apps,
) -> None:
    """With state_session_capacity=2 a third session storing State evicts the oldest's."""
    deleted: list[str] = []
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        kept = gr.State("", delete_callback=deleted.append)
        shown = gr.Textbox(label="Shown")
        keep = gr.Button("Keep")

        def remember(value: str, before: str) -> tuple[str, str]:
            return value, f"{before or 'nothing'} -> {value}"

        keep.click(remember, [name, kept], [kept, shown])

    url = launch(demo, state_session_capacity=2)
    async with (
        gr.AsyncClient(url) as one,
        gr.AsyncClient(url) as two,
        gr.AsyncClient(url) as three,
    ):
        for client, label in ((one, "one"), (two, "two"), (three, "three")):
            await client.set(name.id, label)
            await client.trigger(keep.id, "click")
            await client.settle()
        await wait_until(lambda: deleted == ["one"])

        await one.set(name.id, "one again")
        await one.trigger(keep.id, "click")
        await one.settle()
        await wait_until(lambda: deleted == ["one", "two"])

        assert one.values[shown.id] == "nothing -> one again"
        assert deleted == ["one", "two"]


# -- timers ----------------------------------------------------------------------------


async def test_timer_ticks_until_its_session_closes(launch: Apps) -> None:
    """A 0.05 s timer ticks repeatedly and never again once its client has closed."""
    ticks: dict[str, int] = defaultdict(int)
    unloaded = threading.Event()
    with gr.Blocks() as demo:
        who = gr.Textbox(label="Who")
        timer = gr.Timer(0.05)

        async def tick(name: str) -> None:
            ticks[name] += 1

        timer.tick(tick, who, None)
        demo.unload(unloaded.set)

    url = launch(demo)
    async with gr.AsyncClient(url) as witness:
        await witness.set(who.id, "witness")
        closing = gr.AsyncClient(url)
        await closing.connect()
        await closing.set(who.id, "closing")
        await wait_until(lambda: ticks["closing"] >= 3)

        await closing.close()
        await wait_event(unloaded)
        frozen, seen = ticks["closing"], ticks["witness"]
        await wait_until(lambda: ticks["witness"] >= seen + 5)

        assert ticks["closing"] == frozen


async def test_timer_rests_while_its_client_is_gone_and_goes_on_after_a_resume(
    launch: Apps, sockets: Sockets
) -> None:
    """A tab that vanished without a close costs no runs during the grace period."""
    runs: list[float] = []
    with gr.Blocks() as demo:
        timer = gr.Timer(0.02)
        timer.tick(lambda: runs.append(time.monotonic()), None, None)
    url = launch(demo, reconnect_grace=TIMEOUT)
    sock, welcome = await sockets.open(url)
    session = demo.server.runtime.sessions[welcome["session"]]
    await wait_until(lambda: len(runs) >= 3)

    sock.abort()
    await wait_until(lambda: session.state == "detached")
    await asyncio.sleep(0.1)  # a tick already running ends
    resting = len(runs)
    await asyncio.sleep(0.3)
    assert len(runs) == resting

    again = await sockets.connect(url)
    resume = {"token": welcome["resume_token"], "received": 1}
    await again.send({"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume})
    [answer] = await again.receive()
    assert answer["type"] == "resumed"
    await wait_until(lambda: len(runs) >= resting + 5)


async def test_timer_rests_while_its_client_reads_nothing(launch: Apps) -> None:
    """A tab that stopped reading costs no runs once its socket is full."""
    runs: list[float] = []

    def tick() -> str:
        runs.append(time.monotonic())
        return f"{len(runs)} " + "x" * 200_000

    with gr.Blocks() as demo:
        timer = gr.Timer(0.01)
        timer.tick(tick, None, gr.Textbox(label="Out"))
    url = launch(demo)
    sessions = demo.server.runtime.sessions
    sock = await websockets.connect(
        url.replace("http://", "ws://").rstrip("/") + "/ws",
        compression=None,
        max_size=None,
        max_queue=1,
    )
    try:
        hello = {"type": "hello", "protocol": PROTOCOL_VERSION}
        await sock.send(orjson.dumps(hello).decode())
        await wait_until(lambda: len(sessions) == 1)
        [session] = sessions.values()
        await wait_until(lambda: session.outbox.stalled)
        await asyncio.sleep(0.1)  # a tick already running ends
        stalled = len(runs)
        await asyncio.sleep(0.3)

        assert session.outbox.stalled
        assert len(runs) == stalled
    finally:
        sock.transport.abort()


async def test_timer_skips_ticks_while_its_run_is_going(
    launch: Apps, sockets: Sockets
) -> None:
    """A 0.3 s listener on a 0.05 s timer never overlaps or queues; it runs elapsed/0.3 times."""
    spans: list[tuple[float, float]] = []
    with gr.Blocks() as demo:
        timer = gr.Timer(0.05)

        def slow_tick() -> None:
            start = time.monotonic()
            time.sleep(0.3)
            spans.append((start, time.monotonic()))

        timer.tick(slow_tick, None, None)

    sock, _ = await sockets.open(launch(demo))
    await wait_until(lambda: len(spans) >= 3)
    received = await handled(sock)
    await sock.close()
    done = spans[:3]
    elapsed = done[-1][1] - done[0][0]

    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(done))
    assert 3 <= elapsed / 0.3 < 4
    assert {m["stage"] for m in received if m["type"] == "event"} == {"running"}
    assert {m["outcome"] for m in ends(received)} == {"done"}


async def test_every_refreshes_a_callable_value(launch: Apps) -> None:
    """A Textbox with a callable value and every=0.05 keeps getting new values."""
    calls = itertools.count(1)
    with gr.Blocks() as demo:
        clock = gr.Textbox(lambda: str(next(calls)), every=0.05, label="Clock")

    async with gr.AsyncClient(launch(demo)) as client:
        await wait_until(lambda: client.values[clock.id] != "")
        first = int(client.values[clock.id])
        await wait_until(lambda: int(client.values[clock.id]) >= first + 3)


async def test_a_callable_value_is_computed_again_when_its_inputs_change(
    launch: Apps,
) -> None:
    """gr.Textbox(value=fn, inputs=[slider]) follows the slider, as in Gradio."""
    with gr.Blocks() as demo:
        amount = gr.Slider(0, 10, value=2, step=1, label="Amount")
        double = gr.Textbox(lambda x: f"double={x * 2}", inputs=[amount])

    async with gr.AsyncClient(launch(demo)) as client:
        await client.settle()
        at_load = client.values[double.id]
        await client.set(amount.id, 4)
        await client.settle()

        assert (at_load, client.values[double.id]) == ("double=4", "double=8")


# -- streaming into a Chatbot ----------------------------------------------------------


async def test_chatbot_stream_travels_as_edits_and_ends_on_the_final_history(
    launch: Apps, sockets: Sockets
) -> None:
    """A streaming chat reply is sent as edit changes and mirrors to the final history."""
    tokens = ["Hel", "lo", " the", "re"]
    gate: queue.Queue[None] = queue.Queue()
    final = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello there"},
    ]
    with gr.Blocks() as demo:
        chat = gr.Chatbot(label="Chat")
        run = gr.Button("Reply")

        def reply() -> Iterator[list[dict[str, str]]]:
            history = [{"role": "user", "content": "hi"}]
            history.append({"role": "assistant", "content": ""})
            for token in tokens:
                history[1]["content"] += token
                yield history
                gate.get(timeout=TIMEOUT)

        run.click(reply, None, chat)

    url = launch(demo)
    sock, welcome = await sockets.open(url)
    initial = welcome["config"]["blocks"][str(chat.id)]["props"]["value"]
    changes: list[list[Any]] = []
    received: list[Message] = []
    await sock.send(trigger(run, 1))
    for _ in tokens:
        received += await until(sock, lambda m: m["type"] == "update")
        changes += received[-1]["changes"]
        gate.put(None)
    received += await until(sock, ended(1))

    assert [c[3] for c in changes[1:]] == ["edit"] * (len(tokens) - 1)
    assert changes[1] == [chat.id, "value", [["append", [1, "content"], "lo"]], "edit"]
    assert mirror({chat.id: initial}, received) == {chat.id: final}

    async with gr.AsyncClient(url) as client:
        await client.trigger(run.id, "click")
        for _ in tokens:
            gate.put(None)
        await client.settle()
        assert client.values[chat.id] == final


# -- js listeners ----------------------------------------------------------------------


async def test_a_js_listener_call_without_fn_sets_its_outputs(launch: Apps) -> None:
    """A call naming a js listener with fn=None applies its values to the outputs."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        out = gr.Textbox(label="Out")
        gr.Button("Upper").click(None, text, out, js="(x) => x.toUpperCase()")

    async with gr.AsyncClient(launch(demo)) as client:
        [listener] = [ls for ls in client.config["listeners"] if ls["js"]]
        result = await client.predict("HELLO", listener=listener["id"])

        assert result == "HELLO"
        assert client.values[out.id] == "HELLO"


async def test_a_js_listener_sets_a_plot_from_its_table(launch: Apps) -> None:
    """A plot's value computed in the page arrives as a wire table and is kept."""
    with gr.Blocks() as demo:
        plot = gr.LinePlot(x="x", y="y", label="Plot")
        gr.Button("Draw").click(None, None, plot, js="() => table")
    table = {"columns": ["x", "y"], "data": [[1.0, 2.0], [3.0, 4.0]]}

    async with gr.AsyncClient(launch(demo)) as client:
        [listener] = [ls for ls in client.config["listeners"] if ls["js"]]
        await client.predict(table, listener=listener["id"])

        assert client.values[plot.id] == table


async def test_a_js_listener_leaves_its_state_outputs_as_they_were(
    launch: Apps,
) -> None:
    """The page holds no State: a js listener's call sets the other outputs only."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        state = gr.State({"n": 1})
        shown = gr.Textbox(label="Shown")
        gr.Button("Upper").click(None, text, [text, state], js="(x) => [x, null]")
        gr.Button("Read").click(
            lambda s: f"{type(s).__name__} {s}", state, shown, api_name="read"
        )

    async with gr.AsyncClient(launch(demo)) as client:
        [listener] = [ls for ls in client.config["listeners"] if ls["js"]]
        await client.predict("HELLO", listener=listener["id"])
        read = await client.predict(api_name="read")

    assert client.values[text.id] == "HELLO"
    assert read == "dict {'n': 1}"


async def test_a_call_whose_outputs_cannot_be_sent_fails_and_the_session_goes_on(
    launch: Apps,
) -> None:
    """An output the wire cannot carry ends the call with an error, not silence."""
    periods = pd.DataFrame(
        {"x": pd.period_range("2020-01", periods=3, freq="M"), "y": [1, 2, 3]}
    )
    numbers = pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2.0, 3.0]})
    with gr.Blocks() as demo:
        plot = gr.LinePlot(x="x", y="y")
        out = gr.Textbox(label="Out")
        gr.Button("Plot").click(lambda: periods, None, plot, api_name="plot")
        gr.Button("Good").click(lambda: numbers, None, plot, api_name="good")
        gr.Button("Echo").click(lambda: "fine", None, out, api_name="echo")

    async with gr.AsyncClient(launch(demo)) as client:
        with pytest.raises(gr.EventError, match="could not send the outputs"):
            await asyncio.wait_for(client.predict(api_name="plot"), TIMEOUT)
        assert await client.predict(api_name="echo") == "fine"
        # The page never got the refused plot: the next one must not be edits to it.
        await asyncio.wait_for(client.predict(api_name="good"), TIMEOUT)

        assert client.values[plot.id]["data"] == [[1, 1.0], [2, 2.0], [3, 3.0]]


async def test_a_trigger_skips_the_listeners_it_names(
    launch: Apps, sockets: Sockets
) -> None:
    """A trigger with skip runs the button's other listeners but not the skipped one."""
    ran: list[str] = []
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        button = gr.Button("Go")
        skipped = button.click(lambda: ran.append("skipped"), None, None, js="() => []")
        kept = button.click(lambda: ran.append("kept") or "kept", None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send({**trigger(button, 1), "skip": [skipped.listener.id]})
    received = await until(sock, lambda m: m["type"] == "end")
    received += await handled(sock)

    assert ran == ["kept"]
    assert {m["listener"] for m in received if m["type"] in ("event", "end")} == {
        kept.listener.id
    }
    assert ends(received) == [
        {"type": "end", "event": 1, "listener": 1, "outcome": "done", "ref": 1}
    ]


def test_status_update_rate_sets_how_often_positions_are_pushed(launch: Apps) -> None:
    """queue(status_update_rate=0.5) spaces position pushes 0.5 s; 'auto' uses 0.1 s."""
    with gr.Blocks() as paced:
        gr.Button("Go").click(lambda: None)
    paced.queue(status_update_rate=0.5)
    launch(paced)
    with gr.Blocks() as auto:
        gr.Button("Go").click(lambda: None)
    launch(auto)

    assert paced.server.runtime.scheduler.position_interval == 0.5
    assert auto.server.runtime.scheduler.position_interval == 0.1
    with pytest.raises(
        ValueError, match="status_update_rate must be 'auto' or a positive"
    ):
        gr.Blocks().queue(status_update_rate=-1)


async def test_a_held_status_never_holds_a_yield_back(
    launch: Apps, sockets: Sockets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generator's first yield leaves at once, with its run's status.

    The status gap is stretched far past the test's timeout, so a yield
    waiting behind the status would never arrive.
    """
    monkeypatch.setattr(_outbox, "STATUS_GAP", 3600.0)
    release = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        run = gr.Button("Run")

        def slow_after_first() -> Iterator[str]:
            yield "first"
            release.wait(TIMEOUT)
            yield "second"

        run.click(slow_after_first, None, out)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(trigger(run, 1))
    first = await until(sock, lambda m: m["type"] == "update")
    release.set()
    rest = await until(sock, ended(1))

    assert stages(first, 1) == [("running", None)]
    assert mirror({out.id: ""}, first) == {out.id: "first"}
    assert mirror({out.id: ""}, first + rest) == {out.id: "second"}
