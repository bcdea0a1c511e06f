"""Resuming a session after the network fails, through a relay that fails it."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import pytest
import websockets
from relay import Relay
from waiting import wait_until

import reactive_blocks as gr
from reactive_blocks.client._connection import SessionExpired
from reactive_blocks.protocol import PROTOCOL_VERSION
from reactive_blocks.session import Session

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, RawSocket, Sockets

TIMEOUT: Final = 10.0
TOKENS: Final = 2000
STREAMED: Final = "".join(f"{i:04d}" for i in range(TOKENS))
#: An edit large enough that sending it again fills the socket's buffers.
BULK: Final = "b" * (8 * 1024 * 1024)
EXPIRED: Final = {
    "type": "error",
    "code": "session_expired",
    "message": "this session has ended; reload the page to start anew",
}


class Recorder(gr.AsyncClient):
    """A client that keeps every message it applies and counts terminal messages.

    Args:
        url: The URL to connect to (the relay's).
        track: Blocks whose value is recorded after each update.
    """

    def __init__(self, url: str, *, track: tuple[int, ...] = ()) -> None:
        super().__init__(url, reconnect_timeout=TIMEOUT)
        self.messages: list[Message] = []
        self.ends: Counter[Any] = Counter()
        self.track = track
        self.seen: list[Any] = []

    def _handle_frame(self, frame: list[Message]) -> None:
        super()._handle_frame(frame)
        for message in frame:
            self.messages.append(message)
            if message["type"] == "end":
                self.ends[message.get("ref")] += 1
            elif message["type"] == "update":
                changed = {change[0] for change in message["changes"]}
                self.seen += [self.values[i] for i in self.track if i in changed]


RelayTo = Callable[[str], Awaitable[Relay]]


@pytest.fixture
async def relay_to() -> AsyncIterator[RelayTo]:
    """Start relays to served apps; every one is closed after the test."""
    started: list[Relay] = []

    async def start(url: str) -> Relay:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        relay = await Relay(port).start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        await relay.close()


def session_of(demo: gr.Blocks, client: gr.AsyncClient) -> Session:
    """The server's session behind ``client``."""
    assert client.session is not None
    session: Session = demo.server.runtime.sessions[client.session]
    return session


async def resume_with(
    sockets: Sockets, url: str, token: str
) -> tuple[RawSocket, list[Message]]:
    """A socket resuming with ``token``, and the server's answer."""
    sock = await sockets.connect(url)
    resume = {"token": token, "received": 1}
    await sock.send({"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume})
    return sock, await sock.receive()


async def hello_with(sockets: Sockets, url: str, token: str) -> list[Message]:
    """The server's answer to a hello resuming with ``token``."""
    _, answer = await resume_with(sockets, url, token)
    return answer


class Stream:
    """A listener streaming TOKENS tokens into a textbox, counting its runs."""

    def __init__(self) -> None:
        self.calls = 0
        self.finished = 0

    def run(self) -> Iterator[str]:
        self.calls += 1
        text = ""
        try:
            for i in range(TOKENS):
                text += f"{i:04d}"
                if i % 50 == 49:
                    time.sleep(0.01)
                yield text
        finally:
            self.finished += 1

    def app(self) -> gr.Blocks:
        with gr.Blocks() as demo:
            out = gr.Textbox(label="Out")
            gr.Button("Go").click(self.run, None, out, api_name="stream")
        return demo


async def stream_until_token(client: Recorder, token: int) -> asyncio.Task[Any]:
    """Start the stream; return its pending predict once ``token`` tokens arrived."""
    out = client.component(label="Out")
    run = asyncio.create_task(client.predict(api_name="stream"))
    await wait_until(lambda: len(client.values[out] or "") >= token * 4)
    return run


# -- streams survive a cut -------------------------------------------------------


async def test_a_stream_cut_midway_resumes_exactly(
    launch: Apps, relay_to: RelayTo
) -> None:
    """A stream cut at token 500 resumes with every token once, the generator run once."""
    stream = Stream()
    relay = await relay_to(launch(stream.app(), reconnect_grace=TIMEOUT))

    async with Recorder(relay.url) as client:
        run = await stream_until_token(client, 500)
        out = client.component(label="Out")
        cut_at = len(client.values[out]) // 4
        assert relay.cut() == 1
        result = await asyncio.wait_for(run, TIMEOUT)

        assert 500 <= cut_at < TOKENS
        assert result == STREAMED
        assert client.values[out] == STREAMED
        assert client.resumes == 1
    assert (stream.calls, stream.finished) == (1, 1)


async def test_a_frame_cut_in_half_resumes_exactly(
    launch: Apps, relay_to: RelayTo
) -> None:
    """A connection dropped halfway through a frame of a stream resumes exactly."""
    stream = Stream()
    relay = await relay_to(launch(stream.app(), reconnect_grace=TIMEOUT))

    async with Recorder(relay.url) as client:
        run = await stream_until_token(client, 500)
        forwarded, chunk = await asyncio.wait_for(relay.drop_mid_frame(), TIMEOUT)
        result = await asyncio.wait_for(run, TIMEOUT)

        assert 0 < forwarded < chunk
        assert result == STREAMED
        assert client.values[client.component(label="Out")] == STREAMED
        assert client.resumes == 1
    assert (stream.calls, stream.finished) == (1, 1)


# -- the grace period ----------------------------------------------------------------


async def test_an_outage_longer_than_the_grace_ends_the_session(
    launch: Apps, relay_to: RelayTo
) -> None:
    """Past the grace, unload fires once, the generator closes and the client expires."""
    grace = 0.5
    unloads: list[float] = []
    finished = threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        demo.unload(lambda: unloads.append(time.monotonic()))

        def tick() -> Iterator[str]:
            try:
                for i in range(int(TIMEOUT / 0.01)):
                    time.sleep(0.01)
                    yield str(i)
            finally:
                finished.set()

        gr.Button().click(tick, None, out)
    relay = await relay_to(launch(demo, reconnect_grace=grace))

    async with Recorder(relay.url) as client:
        run = asyncio.create_task(client.predict(api_name="tick"))
        await wait_until(lambda: client.values[out.id] != "")
        relay.refuse(True)
        cut = time.monotonic()
        assert relay.cut() == 1

        await wait_until(lambda: len(unloads) == 1)
        assert await asyncio.to_thread(finished.wait, TIMEOUT)
        relay.refuse(False)
        with pytest.raises(SessionExpired):
            await asyncio.wait_for(run, TIMEOUT)
        # Later calls fail at once too, instead of waiting for an answer.
        with pytest.raises(SessionExpired):
            await asyncio.wait_for(client.settle(), 1.0)

    assert unloads[0] - cut >= grace
    assert len(unloads) == 1
    assert relay.refused >= 1
    assert client.resumes == 0


# -- many sessions, many cuts ------------------------------------------------------


async def test_fifty_sessions_survive_twenty_cuts(
    launch: Apps, relay_to: RelayTo
) -> None:
    """Under twenty cuts, 50 sessions' predicts each end once with their own result."""
    sessions, cuts = 50, 20
    with gr.Blocks() as demo:
        text = gr.Textbox(label="In")
        out = gr.Textbox(label="Out")

        async def echo(value: str) -> str:
            await asyncio.sleep(0)
            return f"echo {value}"

        gr.Button().click(echo, text, out, concurrency_limit=None)
    relay = await relay_to(launch(demo, reconnect_grace=TIMEOUT))
    clients = [Recorder(relay.url, track=(out.id,)) for _ in range(sessions)]
    await asyncio.gather(*(client.connect() for client in clients))
    done = [0] * sessions
    stop = asyncio.Event()

    async def work(index: int, client: Recorder) -> None:
        for n in range(100_000):
            if stop.is_set():
                return
            value = f"s{index}-{n}"
            result = await asyncio.wait_for(
                client.predict(value, api_name="echo"), TIMEOUT
            )
            assert result == f"echo {value}"
            done[index] += 1

    workers = [asyncio.create_task(work(i, c)) for i, c in enumerate(clients)]
    try:
        for cut in range(cuts):
            before = sum(done)
            await wait_until(lambda: sum(done) >= before + sessions)  # noqa: B023
            assert relay.cut() == sessions
            await wait_until(lambda: all(c.resumes == cut + 1 for c in clients))  # noqa: B023
        stop.set()
        await asyncio.wait_for(asyncio.gather(*workers), TIMEOUT)
    finally:
        stop.set()
        for client in clients:
            await client.close()

    for index, client in enumerate(clients):
        assert client.resumes == cuts
        assert len(client.ends) == done[index]
        assert set(client.ends.values()) == {1}
        assert all(value.startswith(f"echo s{index}-") for value in client.seen)
        assert client.values[out.id] == f"echo s{index}-{done[index] - 1}"


# -- who may resume ------------------------------------------------------------------


async def test_only_the_newest_token_resumes(
    launch: Apps, relay_to: RelayTo, sockets: Sockets
) -> None:
    """A rotated, a forged and an ended session's token are refused and change nothing."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
    url = launch(demo, reconnect_grace=TIMEOUT)
    relay = await relay_to(url)

    async with Recorder(relay.url) as other:
        ended = session_of(demo, other).resume_token
    await wait_until(lambda: other.session not in demo.server.runtime.sessions)

    async with Recorder(relay.url) as client:
        await client.set(name.id, "mine")
        await client.settle()
        session = session_of(demo, client)
        rotated = session.resume_token
        relay.cut()
        await wait_until(lambda: client.resumes == 1)
        await client.settle()
        newest = session.resume_token
        seen = len(client.messages)

        for token in (rotated, secrets.token_urlsafe(32), ended):
            assert await hello_with(sockets, url, token) == [EXPIRED]
        await client.settle()

        assert newest != rotated
        assert (session.resume_token, session.connection) == (newest, 1)
        assert session.state == "open"
        assert session.value(name.id) == "mine"
        after = [m["type"] for m in client.messages[seen:] if m["type"] != "ack"]
        assert after == ["pong"]


async def test_a_resume_lost_before_its_answer_arrived_resumes_again(
    launch: Apps, sockets: Sockets
) -> None:
    """The token a resume used works until the client speaks on the new socket.

    A cut can lose the ``resumed`` answer, and with it the new token: the
    client then has only the token it resumed with.
    """
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
    url = launch(demo, reconnect_grace=TIMEOUT)
    first, welcome = await sockets.open(url)
    session: Session = demo.server.runtime.sessions[welcome["session"]]
    token = welcome["resume_token"]
    first.abort()
    await wait_until(lambda: session.state == "detached")

    second, [unread] = await resume_with(sockets, url, token)
    assert unread["type"] == "resumed"
    second.abort()
    await wait_until(lambda: session.state == "detached")
    third, [answer] = await resume_with(sockets, url, token)
    assert answer["type"] == "resumed"
    await third.ping()
    third.abort()
    await wait_until(lambda: session.state == "detached")

    assert await hello_with(sockets, url, token) == [EXPIRED]
    assert await hello_with(sockets, url, unread["resume_token"]) == [EXPIRED]
    [resumed] = await hello_with(sockets, url, answer["resume_token"])
    assert resumed["type"] == "resumed"
    assert session.connection == 3


# -- edits while disconnected ---------------------------------------------------------


def editing_app(inputs: list[str]) -> gr.Blocks:
    """Source (its change writes Shout, its input is counted) and Bulk."""
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        shout = gr.Textbox(label="Shout")
        gr.Textbox(label="Bulk")
        source.change(lambda text: text.upper(), source, shout)
        source.input(
            lambda: inputs.append("input"),
            None,
            None,
            trigger_mode="multiple",
            concurrency_limit=None,
        )
    return demo


async def test_edits_made_offline_arrive_once_each_after_the_resume(
    launch: Apps, relay_to: RelayTo
) -> None:
    """Edits made offline and during the resume each arrive once; the newest wins."""
    inputs: list[str] = []
    demo = editing_app(inputs)
    relay = await relay_to(launch(demo, reconnect_grace=TIMEOUT))

    async with Recorder(relay.url) as client:
        source, bulk = client.component(label="Source"), client.component(label="Bulk")
        await client.settle()
        session = session_of(demo, client)
        relay.refuse(True)
        relay.cut()
        await wait_until(lambda: session.state == "detached")

        # The bulk edit is sent again first and fills the socket, so the edits
        # below are made while that resend is under way.
        await client.set(bulk, BULK)
        for text in ("one", "two", "three"):
            await client.set(source, text)
        assert session.value(source) == ""
        relay.refuse(False)
        await wait_until(lambda: relay.accepted == 2)
        edits = 3
        for n in range(10_000):
            if client.resumes:
                break
            await client.set(source, f"edit {n}")
            edits += 1
            await asyncio.sleep(0)
        await client.set(source, "newest")
        await client.settle()

        assert client.resumes == 1
        assert len(inputs) == edits + 1
        assert session.value(source) == "newest"
        assert session.value(client.component(label="Shout")) == "NEWEST"
        assert client.values[client.component(label="Shout")] == "NEWEST"
        assert session.value(bulk) == BULK


async def test_a_cut_during_the_resend_resumes_again(
    launch: Apps, relay_to: RelayTo
) -> None:
    """A second cut while offline edits are being sent again loses and doubles none."""
    inputs: list[str] = []
    demo = editing_app(inputs)
    relay = await relay_to(launch(demo, reconnect_grace=TIMEOUT))

    async with Recorder(relay.url) as client:
        source, bulk = client.component(label="Source"), client.component(label="Bulk")
        await client.settle()
        session = session_of(demo, client)
        relay.cut()
        await client.set(bulk, BULK)
        await client.set(source, "offline")
        await wait_until(lambda: session.connection == 1)
        relay.cut()
        await client.set(source, "after")
        await client.settle()

        assert session.connection == 2
        assert session.value(bulk) == BULK
        assert session.value(source) == "after"
        assert inputs == ["input", "input"]


async def test_a_superseded_socket_no_longer_reaches_the_session(
    launch: Apps, sockets: Sockets
) -> None:
    """Once a session resumes on a new socket, the old one is closed and unheard."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
    url = launch(demo, reconnect_grace=TIMEOUT)
    old, welcome = await sockets.open(url)
    new = await sockets.connect(url)
    resume = {"token": welcome["resume_token"], "received": 1}
    await new.send({"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume})
    [resumed] = await new.receive()

    with contextlib.suppress(websockets.ConnectionClosed):
        await old.send({"type": "set", "id": name.id, "value": "stale"})
    await asyncio.wait_for(old.connection.wait_closed(), TIMEOUT)

    session = demo.server.runtime.sessions[welcome["session"]]
    assert (resumed["type"], resumed["received"]) == ("resumed", 0)
    assert old.connection.close_code == 1008
    assert await new.ping() == []
    assert session.value(name.id) == ""
    assert session.received == 1


# -- a clean close ---------------------------------------------------------------------


async def test_a_clean_close_ends_the_session_at_once(
    launch: Apps, relay_to: RelayTo, sockets: Sockets
) -> None:
    """close() unloads once without waiting for the grace, and nothing resumes it."""
    unloads: list[float] = []
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
        demo.unload(lambda: unloads.append(time.monotonic()))
    url = launch(demo, reconnect_grace=TIMEOUT)
    relay = await relay_to(url)

    client = Recorder(relay.url)
    await client.connect()
    await client.settle()
    token = session_of(demo, client).resume_token
    closed = time.monotonic()
    await client.close()

    await wait_until(lambda: len(unloads) == 1)
    await wait_until(lambda: client.session not in demo.server.runtime.sessions)
    assert unloads[0] - closed < 1.0
    assert await hello_with(sockets, url, token) == [EXPIRED]
    assert len(unloads) == 1


async def test_a_close_while_resuming_returns_at_once_and_the_session_ends(
    launch: Apps, relay_to: RelayTo
) -> None:
    """close() gives up a resume on its way; the grace then ends the session.

    close() used to wait for the resume's connection (up to 10 s), or, once
    the resume got through, read the new socket for ever.
    """
    unloads: list[float] = []
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
        demo.unload(lambda: unloads.append(time.monotonic()))
    relay = await relay_to(launch(demo, reconnect_grace=1.0))
    client = Recorder(relay.url)
    await client.connect()
    await client.settle()

    relay.stall(TIMEOUT * 3)
    relay.cut()
    await wait_until(lambda: relay.accepted == 2)  # the resume, held by the stall
    closing = time.monotonic()
    await asyncio.wait_for(client.close(), TIMEOUT)
    closed = time.monotonic()

    await wait_until(lambda: len(unloads) == 1)
    await wait_until(lambda: client.session not in demo.server.runtime.sessions)
    assert closed - closing < 1.0
    assert client.resumes == 0


async def test_a_close_between_refused_reconnections_returns_at_once(
    launch: Apps, relay_to: RelayTo
) -> None:
    """close() does not wait out the pause before the next try (up to 2 s)."""
    with gr.Blocks() as demo:
        gr.Textbox(label="Name")
    relay = await relay_to(launch(demo, reconnect_grace=1.0))
    client = Recorder(relay.url)
    await client.connect()
    await client.settle()

    relay.refuse(True)
    relay.cut()
    await wait_until(lambda: relay.refused >= 7)  # pausing about 1.6 s now
    closing = time.monotonic()
    await asyncio.wait_for(client.close(), TIMEOUT)

    assert time.monotonic() - closing < 0.5


# -- heartbeats ------------------------------------------------------------------------


async def test_a_silent_peer_is_detached_within_the_heartbeat_bound(
    launch: Apps, relay_to: RelayTo
) -> None:
    """With heartbeat=0.5, a stalled peer is detached within 0.75 s plus slack."""
    heartbeat, slack = 0.5, 0.5
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        gr.Button().click(lambda text: f"Hi {text}", name, out, api_name="hi")
    relay = await relay_to(launch(demo, reconnect_grace=TIMEOUT, heartbeat=heartbeat))

    async with Recorder(relay.url) as client:
        await client.settle()
        session = session_of(demo, client)
        stalled = time.monotonic()
        flowing = relay.stall(1.5 * heartbeat + 2 * slack)

        await wait_until(lambda: session.state == "detached")
        assert time.monotonic() - stalled <= 1.5 * heartbeat + slack
        await asyncio.wait_for(flowing.wait(), TIMEOUT)
        await wait_until(lambda: client.resumes == 1)

        assert await client.predict("Ada", api_name="hi") == "Hi Ada"
        assert session.state == "open"


# -- acknowledgements --------------------------------------------------------------------


@pytest.mark.parametrize("received", [10**12, -1], ids=["beyond-sent", "negative"])
async def test_an_impossible_ack_is_refused_and_forgets_nothing(
    launch: Apps, sockets: Sockets, received: int
) -> None:
    """An ack of more messages than were sent, or fewer than none, keeps every frame."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        gr.Button().click(lambda text: f"Hi {text}", name, out, api_name="hi")
    url = launch(demo, reconnect_grace=TIMEOUT)
    sock, welcome = await sockets.open(url)
    await sock.send({"type": "call", "api_name": "hi", "inputs": ["Ada"], "ref": 1})
    first = await sock.receive_until(lambda m: m["type"] == "end")

    await sock.send({"type": "ack", "received": received, "ref": 2})
    [error] = await sock.receive_until(lambda m: m["type"] == "error")
    sock.abort()
    again = await sockets.connect(url)
    resume = {"token": welcome["resume_token"], "received": 1}
    await again.send({"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume})
    resumed, *replayed = await again.receive_until(lambda m: m["type"] == "error")

    def shown(messages: list[Message]) -> list[Message]:
        return [m for m in messages if m["type"] not in ("ack", "event")]

    assert (error["code"], error["ref"]) == ("bad_message", 2)
    assert resumed["type"] == "resumed"
    assert shown(replayed) == [*shown(first), error]
