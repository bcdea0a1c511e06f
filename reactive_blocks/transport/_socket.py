"""The socket of one tab: the hello, then messages to its session.

A tab's socket is carried by a ``Wire``: our own ``WebSocket`` for the
sockets opened on a connection of their own (every browser's), or aiohttp's
for an upgrade on a connection that already served HTTP. Everything above
the wire (the hello, resumes, limits, handing messages to the session) is
the same for both.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Final, Protocol

from aiohttp import WebSocketError, WSMsgType, web

from reactive_blocks.errors import ProtocolError
from reactive_blocks.log import transport_logger as log
from reactive_blocks.protocol import (
    PROTOCOL_VERSION,
    TokenBucket,
    decode_frame,
    encode_frame,
    is_json_int,
    peek_ref,
)
from reactive_blocks.session import Runtime, Session
from reactive_blocks.transport._websocket import (
    CLOSE_ABNORMAL,
    CLOSE_GOING_AWAY,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_TOO_BIG,
    WebSocket,
)

HELLO_TIMEOUT: Final = 10.0


@dataclass(frozen=True)
class SocketLimits:
    """Per-socket limits, documented in docs/protocol.md.

    Attributes:
        max_message: Bytes in one message; larger closes the socket (1009)
            and ends the session, as the client would send it again on
            every resume.
        max_file_size: Bytes in one uploaded file (a binary part); a larger
            one is refused with ``too_large`` and the session carries on.
            None for no limit below ``max_message``.
        rate: Messages per second a socket may send, sustained.
        burst: Messages a socket may send at once above the rate.
        heartbeat: Seconds between server pings; a peer that sends
            nothing, not even the pong, for 1 to 1.5 of them is taken as
            gone.
    """

    max_message: int = 16 * 1024 * 1024
    max_file_size: int | None = None
    rate: float = 2000.0
    burst: float = 4000.0
    heartbeat: float = 15.0


class Wire(Protocol):
    """What a tab needs from the socket that carries it."""

    @property
    def close_code(self) -> int | None:
        """None while open or when lost without a close frame; else its code."""

    @property
    def too_big(self) -> bool:
        """Whether the socket closed on a message over the limit."""

    @property
    def writable(self) -> bool:
        """Whether a message written now leaves without waiting for the peer."""

    def write(self, data: bytes, binary: bool) -> None:
        """Send one message now, without waiting."""

    async def send(self, data: bytes, binary: bool) -> None:
        """Send one message, waiting while the peer is slow to read."""

    def close(self, code: int, reason: bytes) -> None:
        """Start closing the socket."""

    async def wait_closed(self) -> None:
        """Return once the connection is gone."""

    def pause_reading(self) -> None:
        """Read no more messages until ``resume_reading``."""

    def resume_reading(self) -> None:
        """Read messages again."""


class _RateLimit(TokenBucket):
    """A socket's message rate limit, which can say why it refused."""

    __slots__ = ()

    @property
    def refusal(self) -> str:
        """The message of a ``rate_limited`` error: the limit, and what to do."""
        return (
            f"too many messages: a socket may send {self.rate:,.0f} a second, in "
            f"bursts of up to {self.burst:,.0f}; this one was not handled, send it "
            "again after a pause"
        )


class Tabs:
    """The open sockets of one app, and the heartbeat of those we carry.

    Attributes:
        current: Each session's socket, by session key.
    """

    def __init__(self, runtime: Runtime, limits: SocketLimits) -> None:
        self.runtime = runtime
        self.limits = limits
        self.current: dict[str, SocketTab] = {}
        self._open: set[SocketTab] = set()
        self._endings: set[asyncio.Task[None]] = set()
        self._sweep: asyncio.TimerHandle | None = None
        self._sweeps = 0

    def open(self, wire: Wire) -> SocketTab:
        """Start serving a tab over ``wire``, just opened."""
        tab = SocketTab(wire, self)
        self._open.add(tab)
        if isinstance(wire, WebSocket) and self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(
                self.limits.heartbeat / 2, self._heartbeat
            )
        return tab

    def open_socket(self, socket: WebSocket) -> None:
        socket.receiver = self.open(socket)

    def closed(self, tab: SocketTab, ending: asyncio.Task[None] | None) -> None:
        self._open.discard(tab)
        if not self._open and self._sweep is not None:
            self._sweep.cancel()  # the last socket: hold nothing while idle
            self._sweep = None
        if ending is not None:
            self._endings.add(ending)
            ending.add_done_callback(self._endings.discard)

    def _heartbeat(self) -> None:
        """Every half heartbeat: note who was heard; every whole one, ping all.

        It stops when no socket of ours is open, so that an idle server
        wakes for nothing; the next socket starts it again.
        """
        self._sweeps += 1
        ping = self._sweeps % 2 == 0
        sockets = [tab.wire for tab in self._open if isinstance(tab.wire, WebSocket)]
        for socket in sockets:
            socket.heartbeat(ping)
        self._sweep = None
        if sockets:
            self._sweep = asyncio.get_running_loop().call_later(
                self.limits.heartbeat / 2, self._heartbeat
            )

    async def close_all(self) -> None:
        """Close every socket (each session ends, unload fires) and wait."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        tabs = list(self._open)
        for tab in tabs:
            tab.wire.close(CLOSE_GOING_AWAY, b"server shutting down")
        await asyncio.gather(*(tab.wire.wait_closed() for tab in tabs))
        if self._endings:
            await asyncio.gather(*self._endings, return_exceptions=True)


class SocketTab:
    """One tab's socket: its hello first, then every message to its session.

    A close frame from the client ends its session; a connection lost
    without one (no close frame, a failed heartbeat) only detaches it, so
    that the client can resume it over a new socket.
    """

    __slots__ = ("_connection", "_hello_timer", "_rate", "_tabs", "session", "wire")

    def __init__(self, wire: Wire, tabs: Tabs) -> None:
        self.wire = wire
        self.session: Session | None = None
        self._tabs = tabs
        self._connection = 0
        self._rate: _RateLimit | None = None
        self._hello_timer: asyncio.TimerHandle | None = (
            asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._no_hello)
        )

    def on_message(self, data: bytes, binary: bool) -> None:
        session = self.session
        if session is None:
            if self._hello_timer is not None:
                self._receive_hello(data, binary)
            return
        if session.connection != self._connection:
            # A newer socket resumed the session: a message still arriving here
            # is one the client sends again there, so it must not count twice.
            log.warning("session %s: message on a superseded socket", session.key)
            self.wire.close(CLOSE_POLICY, b"the session resumed on another socket")
            return

        session.note_received()
        try:
            assert self._rate is not None
            if not self._rate.take():
                raise ProtocolError("rate_limited", self._rate.refusal)
            # Every uploaded file is a binary part: checked here, whatever
            # message (set, stream, call) carries it.
            message = decode_frame(
                data, binary, max_part=self._tabs.limits.max_file_size
            )
        except ProtocolError as exc:
            # The refusal names the message by its ref, so that a client can
            # fail the call that waits on it. Finding the ref costs one JSON
            # parse, never more than handling the message would have cost.
            ref = exc.ref if exc.ref is not None else peek_ref(data, binary)
            session.protocol_error(exc, ref)
            return
        except Exception:
            log.exception("session %s: failed to read a message", session.key)
            session.failed_on_message(peek_ref(data, binary))
            return
        session.receive(message)

    def on_close(self) -> None:
        if self._hello_timer is not None:
            self._hello_timer.cancel()
            self._hello_timer = None
        session = self.session
        ending = None
        if session is not None:
            if self._tabs.current.get(session.key) is self:
                del self._tabs.current[session.key]
            ending = self._after_close(session)
        self._tabs.closed(self, ending)

    def _after_close(self, session: Session) -> asyncio.Task[None] | None:
        if session.connection != self._connection:
            return None  # a newer socket has resumed the session meanwhile
        if not _ends_session(self.wire):
            session.detach()
            return None
        if self.wire.too_big:
            # The client keeps the message until it is handled and would send it
            # again on every resume: the session ends and its token with it.
            log.warning(
                "session %s: a message above the socket's limit; the session ends",
                session.key,
            )
        return asyncio.get_running_loop().create_task(session.close())

    # -- the hello -----------------------------------------------------------

    def _no_hello(self) -> None:
        self._hello_timer = None
        self._refuse("bad_message", "no 'hello' within 10 seconds")

    def _receive_hello(self, data: bytes, binary: bool) -> None:
        if self._hello_timer is not None:
            self._hello_timer.cancel()
            self._hello_timer = None
        try:
            hello = decode_frame(data, binary)
        except ProtocolError as exc:
            self._refuse(exc.code, str(exc))
            return
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            self._refuse("bad_message", "the first message must be 'hello'")
            return
        protocol = hello.get("protocol")
        if not is_json_int(protocol) or protocol != PROTOCOL_VERSION:
            self._refuse(
                "protocol_mismatch",
                f"server speaks protocol {PROTOCOL_VERSION}, client sent "
                f"{hello.get('protocol')!r}; reload the page",
            )
            return

        session = self._open_or_resume(hello)
        if session is None:
            return
        self.session = session
        session.read_from(self.wire)
        self._connection = session.connection
        limits = self._tabs.limits
        self._rate = _RateLimit(limits.rate, limits.burst)
        self._supersede(session.key)

    def _supersede(self, key: str) -> None:
        """Make this the session's socket and close the one it replaces.

        The old socket may be half-open (the server has not noticed the
        drop); closing it now frees what it holds instead of waiting for a
        heartbeat.
        """
        old = self._tabs.current.get(key)
        self._tabs.current[key] = self
        if old is not None and old is not self:
            old.wire.close(CLOSE_POLICY, b"superseded by a resume")

    def _open_or_resume(self, hello: dict[str, Any]) -> Session | None:
        runtime = self._tabs.runtime
        resume = hello.get("resume")
        if resume is None:
            session = runtime.open_session(self.wire)
            log.debug("session %s opened", session.key)
            session.start()
            return session

        received = resume.get("received") if isinstance(resume, dict) else None
        if not is_json_int(received):
            self._refuse(
                "bad_message", "'resume' needs 'token' and an integer 'received'"
            )
            return None
        resumed = runtime.session_for_token(resume.get("token"))
        current = None if resumed is None else self._tabs.current.get(resumed.key)
        if resumed is None or (current is not None and _ends_session(current.wire)):
            # A session whose socket is closing in a way that ends it is over
            # already: it ends once that close completes, and a resume sent
            # before the client answered the close must not revive it.
            self._refuse(
                "session_expired",
                "this session has ended; reload the page to start anew",
            )
            return None
        try:
            token = resumed.resume(received, resume["token"])
        except ValueError as exc:
            self._refuse("bad_message", str(exc))
            return None

        log.debug("session %s resumed from message %s", resumed.key, received)
        reply = {
            "type": "resumed",
            "session": resumed.key,
            "resume_token": token,
            "received": resumed.received,
        }
        self.wire.write(encode_frame([reply])[0], False)
        resumed.attach(self.wire, received)
        return resumed

    def _refuse(self, code: str, message: str) -> None:
        """Answer a hello that cannot open a session, then close the socket."""
        data, _ = encode_frame([{"type": "error", "code": code, "message": message}])
        try:
            self.wire.write(data, False)
        except ConnectionError:
            return
        self.wire.close(CLOSE_NORMAL, b"")


def _ends_session(wire: Wire) -> bool:
    """Whether ``wire`` closes in a way that ends its session.

    A connection lost without a close frame leaves the session waiting to be
    resumed. Any close frame, the peer's or the server's, ends it, and so
    does a message over the limit, which the client would send again.
    """
    return wire.too_big or wire.close_code not in (None, CLOSE_ABNORMAL)


class AiohttpWire:
    """A socket carried by aiohttp's WebSocket.

    Used for an upgrade that arrives on a keep-alive connection aiohttp
    already serves (a client that reuses pooled connections, as aiohttp's
    ClientSession can). It costs the memory and the task wake per message
    that our own socket saves; it behaves the same.
    """

    __slots__ = ("_writes", "ended", "reading", "ws")

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.ended = asyncio.Event()
        #: Clear while the session holds its messages: the loop below waits,
        #: and aiohttp's reader then stops reading once its queue is full.
        self.reading = asyncio.Event()
        self.reading.set()
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    @property
    def too_big(self) -> bool:
        """aiohttp answers such a message with a close frame of code 1009,
        but ``close_code`` then reads 1006, as the peer's reply cannot be
        read after the refused message; the reader's error keeps the 1009.
        """
        error = self.ws.exception()
        return isinstance(error, WebSocketError) and error.code == CLOSE_TOO_BIG

    @property
    def writable(self) -> bool:
        """Never: aiohttp writes each message in a task of its own, so the
        outbox's writer awaits ``send`` to keep frames in order.
        """
        return False

    def write(self, data: bytes, binary: bool) -> None:
        if self.ws.closed:
            raise ConnectionResetError("the socket is closed")
        self._spawn(self.send(data, binary))

    async def send(self, data: bytes, binary: bool) -> None:
        await self.ws.send_frame(data, WSMsgType.BINARY if binary else WSMsgType.TEXT)

    def close(self, code: int, reason: bytes) -> None:
        if not self.ws.closed:
            self._spawn(self._close(code, reason))

    async def _close(self, code: int, reason: bytes) -> None:
        await self.ws.close(code=code, message=reason)

    async def wait_closed(self) -> None:
        await self.ended.wait()

    def pause_reading(self) -> None:
        self.reading.clear()

    def resume_reading(self) -> None:
        self.reading.set()

    def _spawn(self, step: Any) -> None:
        task = asyncio.get_running_loop().create_task(step)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)


async def serve_over_aiohttp(request: web.Request, tabs: Tabs) -> web.WebSocketResponse:
    """Serve one tab's socket through aiohttp's WebSocket until it closes."""
    limits = tabs.limits
    ws = web.WebSocketResponse(
        max_msg_size=limits.max_message,
        heartbeat=limits.heartbeat,
        compress=False,
        decode_text=False,
    )
    await ws.prepare(request)
    wire = AiohttpWire(ws)
    tab = tabs.open(wire)
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                tab.on_message(msg.data, msg.type == WSMsgType.BINARY)
            if not wire.reading.is_set():
                await wire.reading.wait()
    finally:
        tab.on_close()
        wire.ended.set()
    return ws
