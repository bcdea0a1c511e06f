"""The WebSocket of one tab: the hello, then messages in, frames out."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import WebSocketError, WSCloseCode, WSMsgType, web

from reactive_blocks.errors import ProtocolError
from reactive_blocks.log import transport_logger as log
from reactive_blocks.protocol import (
    PROTOCOL_VERSION,
    decode_frame,
    encode_frame,
    peek_ref,
)
from reactive_blocks.session import Runtime, Send, Session

HELLO_TIMEOUT: Final = 10.0

#: Each session's current socket, by session id.
CURRENT: Final[web.AppKey[dict[str, web.WebSocketResponse]]] = web.AppKey("current")

#: The open sockets of an app, closed one by one when the server stops.
SOCKETS: Final[web.AppKey[set[web.WebSocketResponse]]] = web.AppKey("sockets")


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
        heartbeat: Seconds between server pings; a peer silent for longer
            is taken as gone.
    """

    max_message: int = 16 * 1024 * 1024
    max_file_size: int | None = None
    rate: float = 2000.0
    burst: float = 4000.0
    heartbeat: float = 15.0


class _RateLimit:
    """A token bucket: ``rate`` tokens a second, holding at most ``burst``."""

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last = time.monotonic()

    @property
    def refusal(self) -> str:
        """The message of a ``rate_limited`` error: the limit, and what to do."""
        return (
            f"too many messages: a socket may send {self.rate:,.0f} a second, in "
            f"bursts of up to {self.burst:,.0f}; this one was not handled, send it "
            "again after a pause"
        )

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def serve_socket(
    request: web.Request, runtime: Runtime, limits: SocketLimits
) -> web.WebSocketResponse:
    """Serve one tab's socket until it closes.

    A close frame from the client ends its session; a connection lost
    without one (no close frame, a failed heartbeat) only detaches it, so
    that the client can resume it over a new socket.
    """
    ws = web.WebSocketResponse(
        max_msg_size=limits.max_message,
        heartbeat=limits.heartbeat,
        compress=False,
        decode_text=False,
    )
    await ws.prepare(request)
    hello = await _receive_hello(ws)
    if hello is None:
        await ws.close()
        return ws

    async def send(data: bytes, binary: bool) -> None:
        await ws.send_frame(data, WSMsgType.BINARY if binary else WSMsgType.TEXT)

    session = await _open_or_resume(ws, hello, runtime, send)
    if session is None:
        await ws.close()
        return ws

    connection = session.connection
    request.app[SOCKETS].add(ws)
    _supersede(request.app[CURRENT], session.key, ws)
    try:
        rate = _RateLimit(limits.rate, limits.burst)
        await _receive_loop(ws, session, connection, rate, limits.max_file_size)
    finally:
        request.app[SOCKETS].discard(ws)
        if request.app[CURRENT].get(session.key) is ws:
            del request.app[CURRENT][session.key]
        await _after_close(ws, session, connection)
    return ws


def _supersede(
    current: dict[str, web.WebSocketResponse], key: str, ws: web.WebSocketResponse
) -> None:
    """Make ``ws`` the session's socket and close the one it replaces.

    The old socket may be half-open (the server has not noticed the drop);
    closing it now frees what it holds instead of waiting for a heartbeat.
    """
    old = current.get(key)
    current[key] = ws
    if old is not None and not old.closed:
        asyncio.get_running_loop().create_task(
            old.close(
                code=WSCloseCode.POLICY_VIOLATION, message=b"superseded by a resume"
            )
        )


async def _open_or_resume(
    ws: web.WebSocketResponse, hello: dict[str, Any], runtime: Runtime, send: Send
) -> Session | None:
    resume = hello.get("resume")
    if resume is None:
        session = runtime.open_session(send)
        log.debug("session %s opened", session.key)
        session.start()
        return session

    received = resume.get("received") if isinstance(resume, dict) else None
    if not isinstance(received, int) or isinstance(received, bool):
        await _send_error(
            ws, "bad_message", "'resume' needs 'token' and an integer 'received'"
        )
        return None
    resumed = runtime.session_for_token(resume.get("token"))
    if resumed is None:
        await _send_error(
            ws,
            "session_expired",
            "this session has ended; reload the page to start anew",
        )
        return None
    try:
        token = resumed.resume(resume["received"])
    except ValueError as exc:
        await _send_error(ws, "bad_message", str(exc))
        return None

    log.debug("session %s resumed from message %s", resumed.key, resume["received"])
    reply = {
        "type": "resumed",
        "session": resumed.key,
        "resume_token": token,
        "received": resumed.received,
    }
    await ws.send_frame(encode_frame([reply])[0], WSMsgType.TEXT)
    resumed.attach(send, resume["received"])
    return resumed


async def _after_close(
    ws: web.WebSocketResponse, session: Session, connection: int
) -> None:
    if session.connection != connection:
        return  # a newer socket has resumed the session meanwhile
    if _too_big(ws):
        # The client keeps the message until it is handled and would send it
        # again on every resume: the session ends and its token with it.
        log.warning(
            "session %s: a message above the socket's limit; the session ends",
            session.key,
        )
        await session.close()
    elif ws.close_code in (None, WSCloseCode.ABNORMAL_CLOSURE):
        session.detach()
    else:
        await session.close()


def _too_big(ws: web.WebSocketResponse) -> bool:
    """Whether the socket closed on a message above ``max_msg_size``.

    aiohttp answers such a message with a close frame of code 1009, but
    ``close_code`` then reads 1006, as the peer's reply cannot be read after
    the refused message; the reader's error keeps the 1009.
    """
    error = ws.exception()
    return (
        isinstance(error, WebSocketError) and error.code == WSCloseCode.MESSAGE_TOO_BIG
    )


async def _receive_hello(ws: web.WebSocketResponse) -> dict[str, Any] | None:
    try:
        msg = await ws.receive(timeout=HELLO_TIMEOUT)
    except asyncio.TimeoutError:
        await _send_error(ws, "bad_message", "no 'hello' within 10 seconds")
        return None
    if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
        return None
    try:
        hello = decode_frame(msg.data, msg.type == WSMsgType.BINARY)
    except ProtocolError as exc:
        await _send_error(ws, exc.code, str(exc))
        return None

    if not isinstance(hello, dict) or hello.get("type") != "hello":
        await _send_error(ws, "bad_message", "the first message must be 'hello'")
        return None
    protocol = hello.get("protocol")
    if isinstance(protocol, bool) or protocol != PROTOCOL_VERSION:
        await _send_error(
            ws,
            "protocol_mismatch",
            f"server speaks protocol {PROTOCOL_VERSION}, client sent "
            f"{hello.get('protocol')!r}; reload the page",
        )
        return None
    return hello


async def _receive_loop(
    ws: web.WebSocketResponse,
    session: Session,
    connection: int,
    rate: _RateLimit,
    max_file_size: int | None,
) -> None:
    async for msg in ws:
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        if session.connection != connection:
            # A newer socket resumed the session: a message still arriving here
            # is one the client sends again there, so it must not count twice.
            log.warning("session %s: message on a superseded socket", session.key)
            await ws.close(
                code=WSCloseCode.POLICY_VIOLATION,
                message=b"the session resumed on another socket",
            )
            return
        ref = None
        session.note_received()
        try:
            if not rate.allow():
                # The refusal names the message by its ref, so that a client can
                # fail the call that waits on it. Finding the ref costs one JSON
                # parse, never more than handling the message would have cost.
                ref = peek_ref(msg.data, msg.type == WSMsgType.BINARY)
                raise ProtocolError("rate_limited", rate.refusal)
            # Every uploaded file is a binary part: checked here, whatever
            # message (set, stream, call) carries it.
            message = decode_frame(
                msg.data, msg.type == WSMsgType.BINARY, max_part=max_file_size
            )
            ref = message.get("ref") if isinstance(message, dict) else None
            session.receive(message)
        except ProtocolError as exc:
            if ref is None:
                # A frame refused while decoding still names its message.
                ref = exc.ref
                if ref is None:
                    ref = peek_ref(msg.data, msg.type == WSMsgType.BINARY)
            session.protocol_error(exc, ref)
        except Exception:
            log.exception("session %s: failed to handle a message", session.key)
            session.protocol_error(
                ProtocolError("internal", "the server failed on this message"), ref
            )


async def _send_error(ws: web.WebSocketResponse, code: str, message: str) -> None:
    data, _ = encode_frame([{"type": "error", "code": code, "message": message}])
    await ws.send_frame(data, WSMsgType.TEXT)
