"""One resumable socket to an app, as the Python client uses it.

It counts the messages it applies and acknowledges them, keeps its own
messages until the server confirms them, and after a connection lost
without a close frame reconnects with capped, jittered backoff and resumes
the session with its token: every message either way arrives once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Callable
from typing import Any, Final

import websockets

from reactive_blocks.errors import ProtocolError, SessionExpired
from reactive_blocks.log import client_logger as log
from reactive_blocks.protocol import (
    PROTOCOL_VERSION,
    TokenBucket,
    decode_frame,
    encode_frame,
)

__all__ = ["Connection", "SessionExpired"]

ACK_EVERY: Final = 64
ACK_DELAY: Final = 0.2
FIRST_RETRY: Final = 0.05
LAST_RETRY: Final = 2.0
REPLY_TIMEOUT: Final = 10.0

#: The client's own pace, under the server's limit of 2,000 messages a second
#: in bursts of 4,000 (docs/protocol.md), with room for frames that the
#: network bunches up: thousands of calls started at once are sent at this
#: pace instead of being refused with ``rate_limited``.
SEND_RATE: Final = 1500.0
SEND_BURST: Final = 2000.0

Frame = list[dict[str, Any]]


class Connection:
    """A socket that survives network drops by resuming its session.

    Args:
        url: The app's socket URL (``ws://…/ws``).
        headers: Extra HTTP headers for each handshake.
        on_frame: Called with each frame's messages, in order, once each.
        reconnect_timeout: Seconds to keep trying to resume before giving up.
    """

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        on_frame: Callable[[Frame], None],
        *,
        reconnect_timeout: float = 120.0,
    ) -> None:
        self.url = url
        self.headers = headers
        self.reconnect_timeout = reconnect_timeout
        self.resumes = 0
        self.expired = False
        self._on_frame = on_frame
        self._ws: Any = None
        self._token: str | None = None
        self._received = 0
        self._acked = 0
        self._ack_timer: asyncio.TimerHandle | None = None
        self._unconfirmed: deque[tuple[int, str | bytes]] = deque()
        self._sent = 0
        self._connected = asyncio.Event()
        self._closing = asyncio.Event()  # set by close(); wakes a pause to retry
        self._attempt: asyncio.Task[bool | None] | None = None
        self._pace = _Pace(SEND_RATE, SEND_BURST)

    async def open(self) -> Frame:
        """Connect and say hello; returns the first frame (the welcome's)."""
        self._ws = await self._connect()
        await self._ws.send(_text({"type": "hello", "protocol": PROTOCOL_VERSION}))
        frame = await self._receive()
        welcome = frame[0] if frame else {}
        if welcome.get("type") != "welcome":
            await self._ws.close()
            raise ProtocolError(
                welcome.get("code", "bad_message"), welcome.get("message", "")
            )

        self._token = welcome.get("resume_token")
        self._received = len(frame)
        self._connected.set()
        return frame

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message; kept until the server confirms it when resumable.

        Messages leave in the order of the calls, at most ``SEND_RATE`` a
        second after a burst of ``SEND_BURST``: a call waits its turn here.
        """
        data, binary = encode_frame(message)
        payload: str | bytes = data if binary else data.decode()
        # Counted only once its turn came, so that the count follows the wire.
        await self._pace.wait()
        if self._token is not None:
            self._unconfirmed.append((self._sent, payload))
        self._sent += 1
        if self._connected.is_set():
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._ws.send(payload)

    async def run(self) -> None:
        """Read frames until the session ends, resuming after lost connections."""
        while True:
            try:
                frame = await self._receive()
            except websockets.ConnectionClosedOK:
                return
            except (websockets.ConnectionClosedError, OSError):
                if self._closing.is_set() or not await self._resume():
                    return
                continue
            self._received += len(frame)
            self._on_frame(frame)
            self._acknowledge_soon()

    async def close(self) -> None:
        """Close cleanly: the server ends the session.

        A resume on its way is given up at once: with no socket to close,
        the server ends the session when its reconnect grace runs out.
        """
        self._closing.set()
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        if self._attempt is not None:
            self._attempt.cancel()
        if self._ws is not None:
            await self._ws.close()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, as a network cut would."""
        if self._ws is not None:
            self._ws.transport.abort()

    def confirmed(self, received: int) -> None:
        """The server handled our first ``received`` messages: forget them."""
        while self._unconfirmed and self._unconfirmed[0][0] < received:
            self._unconfirmed.popleft()

    async def _connect(self) -> Any:
        return await websockets.connect(
            self.url,
            # What the server sends is as large as the app's outputs make it;
            # refusing a frame would close the socket and end the session.
            max_size=None,
            compression=None,
            additional_headers=self.headers,
        )

    async def _receive(self) -> Frame:
        data = await self._ws.recv()
        frame = decode_frame(data, isinstance(data, bytes))
        return frame if isinstance(frame, list) else [frame]

    def _acknowledge_soon(self) -> None:
        if self._token is None:
            return
        if self._received - self._acked >= ACK_EVERY:
            asyncio.get_running_loop().create_task(self._acknowledge())
        elif self._ack_timer is None:
            loop = asyncio.get_running_loop()
            self._ack_timer = loop.call_later(
                ACK_DELAY, lambda: loop.create_task(self._acknowledge())
            )

    async def _acknowledge(self) -> None:
        self._ack_timer = None
        if self._received > self._acked and self._connected.is_set():
            self._acked = self._received
            await self.send({"type": "ack", "received": self._received})

    async def _resume(self) -> bool:
        """Reconnect and resume; False when the session cannot be resumed."""
        self._connected.clear()
        if self._token is None:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout
        delay = 0.0
        while loop.time() < deadline and not self._closing.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                pause = delay * random.uniform(0.8, 1.2)
                await asyncio.wait_for(self._closing.wait(), pause)
            if self._closing.is_set():
                break
            delay = min(max(delay * 2, FIRST_RETRY), LAST_RETRY)
            self._attempt = asyncio.ensure_future(self._try_resume())
            try:
                outcome = await self._attempt
            except asyncio.CancelledError:
                if self._closing.is_set() and not _cancelling():
                    return False  # close() gave the attempt up
                raise
            finally:
                self._attempt = None
            if outcome is not None:
                return outcome
        return False

    async def _try_resume(self) -> bool | None:
        """One attempt: True resumed, False refused for good, None try again."""
        try:
            ws = await asyncio.wait_for(self._connect(), REPLY_TIMEOUT)
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
            return None
        try:
            resume = {"token": self._token, "received": self._received}
            await ws.send(
                _text({"type": "hello", "protocol": PROTOCOL_VERSION, "resume": resume})
            )
            data = await asyncio.wait_for(ws.recv(), REPLY_TIMEOUT)
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
            # No close frame: that would end the session if the hello got through.
            ws.transport.abort()
            return None
        except asyncio.CancelledError:
            ws.transport.abort()
            raise

        frame = decode_frame(data, isinstance(data, bytes))
        reply = frame[0] if isinstance(frame, list) and frame else {}
        if reply.get("type") != "resumed":
            log.warning("could not resume the session: %s", reply.get("message", reply))
            self.expired = reply.get("code") == "session_expired"
            await ws.close()
            return False

        self._ws = ws
        self._token = reply["resume_token"]
        self.confirmed(reply["received"])
        try:
            await self._resend(ws)
        except (OSError, websockets.WebSocketException):
            return None  # lost again; the next attempt uses the new token
        self.resumes += 1
        self._connected.set()
        return True

    async def _resend(self, ws: Any) -> None:
        """Send the unconfirmed messages again, in order, each once.

        A message sent while a resend waits on a full socket joins the queue
        behind it, so the queue is read until nothing is left.
        """
        resent = 0
        while resent < len(self._unconfirmed):
            await self._pace.wait()
            await ws.send(self._unconfirmed[resent][1])
            resent += 1


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _Pace:
    """A token bucket the client waits on before each message it sends.

    Waiters take their turns in order (an ``asyncio.Lock`` is fair), so
    pacing never reorders messages. With tokens left it does not yield.
    """

    def __init__(self, rate: float, burst: float) -> None:
        self._bucket = TokenBucket(rate, burst)
        self._turn = asyncio.Lock()

    async def wait(self) -> None:
        async with self._turn:
            while not self._bucket.take():
                await asyncio.sleep(self._bucket.wait_time())


def _text(message: dict[str, Any]) -> str:
    return encode_frame(message)[0].decode()
