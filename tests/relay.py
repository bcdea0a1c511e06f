"""A TCP relay between clients and an app that can fail the network on demand.

Clients connect to the relay's URL; each connection is carried to the app's
port byte for byte. The relay can cut every connection without a WebSocket
close frame, hold traffic for a while, drop a connection in the middle of a
chunk from the server, and refuse new connections during a longer outage.
Everything listens and connects on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
from typing import Final

HOST: Final = "127.0.0.1"


class Relay:
    """Forwards TCP connections from a port of its own to the app's port.

    Its handlers are callbacks on the event loop it was started on; call its
    methods from that loop.

    Args:
        target_port: The app's port on 127.0.0.1.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.accepted = 0
        self.refused = 0
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._stalled = False
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._stall: asyncio.TimerHandle | None = None
        self._refusing = False
        self._drop: asyncio.Future[tuple[int, int]] | None = None

    @property
    def url(self) -> str:
        """The URL clients use in place of the app's."""
        return f"http://{HOST}:{self.port}/"

    async def start(self) -> Relay:
        """Listen on a free port of 127.0.0.1."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Half(self), HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        if self._stall is not None:
            self._stall.cancel()
        self.cut()

    def cut(self) -> int:
        """Drop every live connection at once, with no close frame; returns how many."""
        links = list(self._links)
        for link in links:
            link.abort()
        return len(links)

    def stall(self, seconds: float) -> asyncio.Event:
        """Hold all traffic, both ways, for ``seconds``, then deliver it in order.

        Returns an event set once traffic flows again.
        """
        if self._stall is not None:
            self._stall.cancel()
        self._stalled = True
        self._flowing.clear()
        self._stall = asyncio.get_running_loop().call_later(seconds, self._flow)
        return self._flowing

    def drop_mid_frame(self) -> asyncio.Future[tuple[int, int]]:
        """Forward only the first half of the next chunk from the app, then cut.

        Returns a future of (bytes forwarded, bytes in that chunk).
        """
        self._drop = asyncio.get_running_loop().create_future()
        return self._drop

    def refuse(self, on: bool) -> None:
        """While on, drop each new connection as soon as it is accepted."""
        self._refusing = on

    def _flow(self) -> None:
        self._stall = None
        self._stalled = False
        self._flowing.set()
        for link in list(self._links):
            link.flush()

    def _accepted(self, half: _Half) -> None:
        if self._refusing:
            self.refused += 1
            half.abort()
            return
        self.accepted += 1
        link = _Link(self, half)
        self._links.add(link)
        task = asyncio.get_running_loop().create_task(link.open())
        link.opening = task

    def _carry(self, link: _Link, to_client: bool, data: bytes | None) -> bool:
        """Whether to forward ``data`` now; a mid-frame drop happens here."""
        if self._stalled:
            return False
        drop = self._drop
        if to_client and data and drop is not None and not drop.done():
            part = len(data) // 2
            link.client.write(data[:part])
            link.abort()
            drop.set_result((part, len(data)))
            return False
        return True

    def _forget(self, link: _Link) -> None:
        self._links.discard(link)


class _Half(asyncio.Protocol):
    """One TCP connection of a relayed pair; what it receives goes to its peer."""

    def __init__(self, relay: Relay, link: _Link | None = None) -> None:
        self.relay = relay
        self.link = link
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.link is None:
            self.relay._accepted(self)

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.link.received(self, data)

    def eof_received(self) -> bool:
        if self.link is not None:
            self.link.received(self, None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link is not None:
            self.link.lost(self)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def finish(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class _Link:
    """A client's connection and the relay's connection to the app.

    Chunks wait in ``held`` (keyed by direction: True is towards the client)
    while traffic is stalled or the app's side is not connected yet; None
    stands for the end of the stream.
    """

    def __init__(self, relay: Relay, client: _Half) -> None:
        self.relay = relay
        self.client = client
        client.link = self
        self.server = _Half(relay, self)
        self.held: dict[bool, list[bytes | None]] = {True: [], False: []}
        self.ended = {True: False, False: False}
        self.opening: asyncio.Task[None] | None = None
        self.connected = False
        self.aborted = False
        self._lost: set[_Half] = set()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(
                lambda: self.server, HOST, self.relay.target_port
            )
        except OSError:
            self.abort()
            return
        self.connected = True
        self.flush()

    def received(self, source: _Half, data: bytes | None) -> None:
        to_client = source is self.server
        if self.aborted or self.ended[to_client]:
            return
        self.ended[to_client] = data is None
        self.held[to_client].append(data)
        self.flush()

    def flush(self) -> None:
        """Deliver what waits, in order, unless traffic is stalled."""
        if not self.connected:
            return
        for to_client, held in self.held.items():
            peer = self.client if to_client else self.server
            while held and not self.aborted:
                if not self.relay._carry(self, to_client, held[0]):
                    break
                data = held.pop(0)
                if data is None:
                    peer.finish()
                else:
                    peer.write(data)

    def lost(self, half: _Half) -> None:
        """A connection closed: the other one closes once its data is out."""
        self._lost.add(half)
        self.received(half, None)
        if len(self._lost) == 2:
            self.relay._forget(self)

    def abort(self) -> None:
        self.aborted = True
        self.client.abort()
        self.server.abort()
        if self.opening is not None and not self.opening.done():
            self.opening.cancel()
        self.relay._forget(self)
