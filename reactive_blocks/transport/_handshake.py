"""The first request of each connection: a socket we open, or HTTP for aiohttp.

A browser opens every WebSocket on a connection of its own, starting with
the upgrade request. When that request is well formed and admitted, the
connection is answered here and becomes a ``WebSocket``, never meeting
aiohttp's request handler. Every other connection, from its first byte
on, is handed to aiohttp unchanged. So is any upgrade this module does not
take (malformed, refused, or on a connection that already served HTTP):
aiohttp answers it, with its errors or over its own WebSocket.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, cast

from reactive_blocks.transport._websocket import WebSocket

#: Longest request head held while deciding; a longer one goes to aiohttp.
MAX_HEAD: Final = 16 * 1024

#: Seconds a new connection has to send a whole first request head.
HEAD_TIMEOUT: Final = 10.0

_ACCEPT_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass(frozen=True, slots=True)
class Upgrade:
    """A well-formed WebSocket upgrade request, as far as admission needs it."""

    path: bytes
    key: bytes
    host: str | None
    origin: str | None
    cookie: str | None


@dataclass(frozen=True)
class SocketRoute:
    """Where sockets are served and who decides about them.

    Attributes:
        path: The request path of the socket, such as ``b"/ws"``.
        admits: Whether an upgrade may open (login, origin); a refused one
            goes to aiohttp, whose route answers it with the reason.
        open: Takes each socket just opened, before its first frame.
        max_message: Bytes in one message on the socket.
    """

    path: bytes
    admits: Callable[[Upgrade], bool]
    open: Callable[[WebSocket], None]
    max_message: int


class FirstRequest(asyncio.Protocol):
    """Reads a connection's first request far enough to say who serves it."""

    __slots__ = ("_head", "_http", "_prefix", "_route", "_timer", "_transport")

    def __init__(
        self, http: Callable[[], asyncio.BaseProtocol], route: SocketRoute
    ) -> None:
        self._http = http
        self._route = route
        self._prefix = b"GET " + route.path
        self._head = b""
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio's classes.
        self._transport = cast(asyncio.Transport, transport)
        self._timer = asyncio.get_running_loop().call_later(
            HEAD_TIMEOUT, self._too_slow
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()

    def _too_slow(self) -> None:
        """A connection that sends no whole head in time is closed, not held."""
        transport = self._release()
        if transport is not None:
            transport.close()

    def _release(self) -> asyncio.Transport | None:
        """Let go of the connection, whoever takes it; None if already gone."""
        transport, self._transport = self._transport, None
        self._head = b""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return transport

    def data_received(self, data: bytes) -> None:
        """Wait for the whole head, whoever serves it, then route it.

        aiohttp reads a head without a time limit, so a page request is
        handed over only once its head is whole: a connection that trickles
        one in holds nothing past ``HEAD_TIMEOUT``.
        """
        head = self._head + data if self._head else data
        if _stray_line_ends(head):
            self._hand_over(head)  # aiohttp answers 400, or takes it
            return
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > MAX_HEAD:
                self._hand_over(head)
            else:
                self._head = head
            return

        if not head.startswith(self._prefix):
            self._hand_over(head)
            return
        upgrade = parse_upgrade(head[:end])
        if (
            upgrade is None
            or upgrade.path != self._route.path
            or not self._route.admits(upgrade)
        ):
            self._hand_over(head)
            return
        self._open(upgrade, head[end + 4 :])

    def _hand_over(self, data: bytes) -> None:
        transport = self._release()
        if transport is None:
            return

        protocol = self._http()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if data and isinstance(protocol, asyncio.Protocol):
            protocol.data_received(data)

    def _open(self, upgrade: Upgrade, tail: bytes) -> None:
        transport = self._release()
        assert transport is not None

        transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + accept_key(upgrade.key)
            + b"\r\n\r\n"
        )
        socket = WebSocket(transport, self._route.max_message)
        transport.set_protocol(socket)
        self._route.open(socket)
        if tail:
            socket.data_received(tail)


def parse_upgrade(head: bytes) -> Upgrade | None:
    """The WebSocket upgrade that a request head asks for, if well formed.

    Anything unusual (another method or version, a folded or repeated
    key, a missing header) gives None: aiohttp then judges the request.
    """
    lines = head.split(b"\r\n")
    request_line = lines[0].split(b" ")
    if (
        len(request_line) != 3
        or request_line[0] != b"GET"
        or request_line[2] != b"HTTP/1.1"
    ):
        return None

    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            return None
        name = name.lower()
        value = value.strip()
        if name in headers:
            joiner = b"; " if name == b"cookie" else b", "
            headers[name] += joiner + value
        else:
            headers[name] = value

    if b"websocket" not in _tokens(headers.get(b"upgrade")):
        return None
    if b"upgrade" not in _tokens(headers.get(b"connection")):
        return None
    if headers.get(b"sec-websocket-version") != b"13":
        return None
    key = headers.get(b"sec-websocket-key", b"")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            return None
    except binascii.Error:
        return None

    def text(name: bytes) -> str | None:
        value = headers.get(name)
        return None if value is None else value.decode("latin-1")

    return Upgrade(
        path=request_line[1].split(b"?", 1)[0],
        key=key,
        host=text(b"host"),
        origin=text(b"origin"),
        cookie=text(b"cookie"),
    )


def accept_key(key: bytes) -> bytes:
    """The ``Sec-WebSocket-Accept`` answer to a client's key (RFC 6455, 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + _ACCEPT_GUID).digest())


def _stray_line_ends(head: bytes) -> bool:
    """Whether a head has a CR or LF that is not part of a CRLF.

    Such a head may be complete without ever holding CRLFCRLF; a CR at the
    very end may still be followed by its LF.
    """
    body = head[:-1] if head.endswith(b"\r") else head
    pairs = body.count(b"\r\n")
    return body.count(b"\r") != pairs or body.count(b"\n") != pairs


def _tokens(value: bytes | None) -> list[bytes]:
    if value is None:
        return []
    return [token.strip().lower() for token in value.split(b",")]
