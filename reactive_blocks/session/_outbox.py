"""The outbox: one per session, everything the session sends goes through it.

Messages and changes put in during one loop tick leave as one frame. While
the socket is busy sending, changes keep arriving and *collapse*: for each
block property only the value the client has and the newest are kept, and
the frame carries the edits between the two, so a slow client costs memory
bounded by the app's state and still ends on the right values.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Final, NamedTuple, Protocol

from reactive_blocks.log import session_logger as log
from reactive_blocks.protocol import diff_values, encode_frame


class Sink(Protocol):
    """Where a session's frames go: its socket, as the outbox sees it."""

    @property
    def writable(self) -> bool:
        """Whether a frame written now leaves without waiting for the peer."""

    def write(self, data: bytes, binary: bool) -> None:
        """Write one frame now; the bool says whether it is binary.

        Raises:
            ConnectionError: The socket is gone.
        """

    async def send(self, data: bytes, binary: bool) -> None:
        """Write one frame, then wait while the peer is slow to read."""


#: How early a timer may fire: uvloop keeps time in whole milliseconds.
TIMER_SLACK: Final = 0.001

#: The shortest gap between two frames that carry only changes.
FRAME_GAP: Final = 0.01

#: How long an event's status waits for company before leaving alone. An
#: answer within 0.1 s reads as instant, needing no sign of work: a quicker
#: event sends no status at all. Under load, when events take longer than a
#: shorter gap, a status frame per event would add to the load.
STATUS_GAP: Final = 0.1

#: The sent frames of every outbox that has kept none: an empty deque costs
#: 624 bytes, a third of a session's own memory while idle.
_NONE_SENT: Final[deque[_SentFrame]] = deque(maxlen=0)


class Outbox:
    """Coalescing, ordered sending for one session.

    A frame is ``[messages put before the first change..., event statuses...,
    one update with every change, the newest of each replaceable message,
    messages put after]``: a terminal message always follows the changes of
    its event, and a status comes before any progress of its event.

    An event's status (queued, running) is not urgent: it waits up to
    STATUS_GAP for a frame to share, and an event that ends first sends only
    its terminal message. A status frame per event doubled the frames of a
    quick listener; without it the throughput benchmark's server and client
    CPU per event fell by about a quarter.

    When the session may resume over a new socket (``keep_sent``), every
    frame sent stays until the client acknowledges the messages in it, and
    ``attach`` sends the unacknowledged ones again, in order. At most
    ``window`` bytes stay unacknowledged: past that, sending pauses and
    changes collapse as for a slow socket, so memory stays bounded however
    long the client is gone.

    A frame that may leave at once is written in the loop step after the
    messages that make it, over a socket that can take it; only a frame
    that must wait (for company, for a slow peer, behind a replay) gets a
    writer task. With one less task per event (see also the scheduler's
    direct runs), the benchmark's CPU per event at 50 sessions fell from
    0.13 to 0.11 ms.

    Args:
        sink: The socket frames are written to; None starts the outbox
            detached.
        keep_sent: Whether to keep sent frames until acknowledged.
        window: Bytes sent but not yet acknowledged before sending pauses.
        before_frame: Called as each frame is composed, to put messages
            that may ride along in it.
    """

    # Slots keep an idle session small: thousands of them stay open at once.
    __slots__ = (
        "_acked",
        "_before_frame",
        "_changes",
        "_closed",
        "_flushing",
        "_head",
        "_hurry",
        "_keep_sent",
        "_last_sent",
        "_latest",
        "_next_index",
        "_replay",
        "_sent",
        "_sent_bytes",
        "_sink",
        "_stale",
        "_status_since",
        "_status_timer",
        "_statuses",
        "_tail",
        "_window",
        "_writer",
    )

    def __init__(
        self,
        sink: Sink | None,
        *,
        keep_sent: bool = False,
        window: int = 8 * 1024 * 1024,
        before_frame: Callable[[], None] | None = None,
    ) -> None:
        self._sink = sink
        self._before_frame = before_frame
        self._keep_sent = keep_sent
        self._window = window
        self._statuses: dict[Any, dict[str, Any]] = {}
        self._status_since = 0.0
        self._status_timer: asyncio.TimerHandle | None = None
        self._hurry: asyncio.Future[None] | None = None
        self._head: list[dict[str, Any]] = []
        self._tail: list[dict[str, Any]] = []
        self._changes: dict[tuple[int, str], list[Any]] = {}
        self._latest: dict[Any, dict[str, Any]] = {}
        self._sent: deque[_SentFrame] = _NONE_SENT
        self._sent_bytes = 0
        self._next_index = 0
        self._acked = 0
        self._replay = False
        self._closed = False
        self._writer: asyncio.Task[None] | None = None
        self._flushing: asyncio.Handle | None = None
        self._last_sent = 0.0
        # Block properties whose newest value the client never got (it could
        # not be encoded): their next value goes whole, not as edits.
        self._stale: set[tuple[int, str]] | None = None

    def put(self, message: dict[str, Any], *, ends: Any = None) -> None:
        """Queue one message, after everything put before it, and send soon.

        ``ends`` names the event this message ends: its status, if not yet
        sent, is dropped, as the terminal message says all it would.
        """
        if ends is not None:
            # Its timer stays: arming and cancelling one per event cost 2 µs of
            # the 28 µs of a quick event's Python; when it fires it looks again.
            self._statuses.pop(ends, None)
        (self._tail if self._changes or self._latest else self._head).append(message)
        self._end_wait()
        self._wake()

    def put_after_statuses(self, message: dict[str, Any], *, of: Any = None) -> None:
        """Queue a message behind the statuses put before it, held ones included.

        ``of`` names the one event whose status must go first (a toast of a
        run follows its ``running``); None means every event's: a ``pong``
        promises that each run started before its ``ping`` has sent its
        status. A held status would otherwise follow the message in its frame.
        """
        # Where a frame puts statuses: after the head, before the changes.
        if of is None:
            self._head.extend(self._statuses.values())
            self._statuses = {}
        elif (status := self._statuses.pop(of, None)) is not None:
            self._head.append(status)
        self.put(message)

    def put_status(self, event: Any, message: dict[str, Any]) -> None:
        """Queue the newest status of ``event``; it replaces an unsent older one.

        With no frame on its way, a timer sends the statuses after
        STATUS_GAP rather than a writer waiting for them: most events end
        sooner, withdrawing their status, and then no writer is started
        for it at all.
        """
        if not self._statuses:
            loop = asyncio.get_running_loop()
            self._status_since = loop.time()
            if self._writer is None and self._status_timer is None:
                self._status_timer = loop.call_at(
                    self._status_since + STATUS_GAP, self._status_due
                )
        self._statuses[event] = message
        if self._writer is not None:
            self._wake()

    def _end_wait(self) -> None:
        """End the writer's wait for company: the frame leaves, or waits less.

        Any other message ends it; the first change or progress ends a
        wait held for statuses alone (see ``_coalesce``).
        """
        if self._hurry is not None and not self._hurry.done():
            self._hurry.set_result(None)

    def _status_due(self) -> None:
        self._status_timer = None
        if not self._statuses:
            return  # their events ended before they were due
        loop = asyncio.get_running_loop()
        due = self._status_since + STATUS_GAP
        if due - loop.time() > TIMER_SLACK and self._writer is None:
            # Newer statuses than the ones this timer was armed for.
            self._status_timer = loop.call_at(due, self._status_due)
        else:
            self._wake()

    def _drop_status_timer(self) -> None:
        if self._status_timer is not None:
            self._status_timer.cancel()
            self._status_timer = None

    def put_latest(self, key: Any, message: dict[str, Any]) -> None:
        """Queue a message that a newer one with the same ``key`` replaces.

        Progress reports use it: a slow client gets the newest only.
        """
        if not (self._latest or self._changes):
            self._end_wait()
        self._latest[key] = message
        self._wake()

    def change(self, block_id: int, prop: str, value: Any, previous: Any) -> None:
        """Queue a new value of one block property; ``previous`` is the old one.

        Only the value the client last received and the newest are kept; the
        frame carries the edits between them (an append for a growing string,
        edits at a path for lists and dicts), so streaming n tokens costs
        O(n) bytes on the wire.
        """
        key = (block_id, prop)
        pending = self._changes.get(key)
        if pending is None:
            if not (self._changes or self._latest):
                self._end_wait()
            self._changes[key] = [previous, value]
        else:
            pending[1] = value
        self._wake()

    def pending(self) -> int:
        """How many messages and changes wait to be sent."""
        return (
            len(self._statuses)
            + len(self._head)
            + len(self._tail)
            + len(self._changes)
            + len(self._latest)
        )

    def _has_pending(self) -> bool:
        return bool(
            self._head or self._tail or self._changes or self._latest or self._statuses
        )

    @property
    def stalled(self) -> bool:
        """Whether the client takes nothing now: no socket, a full one, or no acks."""
        sink = self._sink
        return sink is None or not sink.writable or self._sent_bytes > self._window

    @property
    def keeps_sent(self) -> bool:
        """Whether sent frames are kept for a resume."""
        return self._keep_sent

    @property
    def messages_sent(self) -> int:
        """How many messages went into frames: the most a client can acknowledge."""
        return self._next_index

    def acknowledge(self, received: int) -> None:
        """The client applied its first ``received`` messages: forget those frames."""
        if not self._acked < received <= self._next_index:
            return
        self._acked = received
        while self._sent and self._sent[0].end <= received:
            self._sent_bytes -= len(self._sent.popleft().data)
        self._wake()

    def detach(self) -> None:
        """Stop sending: the socket is gone. Changes keep collapsing meanwhile."""
        self._sink = None

    def check_resume(self, received: int) -> None:
        """Raise ValueError unless the client may resume from ``received`` messages.

        It must be a frame boundary this outbox still holds: a client that
        claims otherwise is confused or lying.
        """
        inside = any(f.start < received < f.end for f in self._sent)
        if not self._acked <= received <= self._next_index or inside:
            raise ValueError(f"cannot resume from message {received}")

    def attach(self, sink: Sink, received: int) -> None:
        """Send over a new socket, from the client's ``received`` messages on."""
        self.check_resume(received)
        self.acknowledge(received)
        self._sink = sink
        self._replay = True
        self._wake()

    async def close(self, *, flush: bool = False) -> None:
        """Stop sending; with ``flush``, send what waits first."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        if flush and self._writer is None:
            self._start_writer()
        self._closed = True
        self._drop_status_timer()
        writer = self._writer
        if writer is None:
            return
        if not flush:
            writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer

    def _take(self) -> list[dict[str, Any]]:
        if self._before_frame is not None:
            self._before_frame()
        frame = self._head
        if self._statuses:
            frame.extend(self._statuses.values())
            self._statuses = {}
            self._drop_status_timer()
        if self._changes:
            stale = self._stale
            changes = [
                [*k, v[1]] if stale and k in stale else _encode_change(k, *v)
                for k, v in self._changes.items()
            ]
            if stale:
                stale.difference_update(self._changes)
            frame.append({"type": "update", "changes": changes})
            self._changes = {}
        if self._latest:
            frame.extend(self._latest.values())
            self._latest = {}
        frame.extend(self._tail)
        self._head, self._tail = [], []
        return frame

    def _can_send(self) -> bool:
        return self._sink is not None and self._sent_bytes <= self._window

    def _wake(self) -> None:
        """Send what waits after this loop step; an idle session keeps no task."""
        if self._writer is None and self._flushing is None and not self._closed:
            loop = asyncio.get_running_loop()
            self._flushing = loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write the pending frame now if it may leave, else start a writer."""
        self._flushing = None
        if self._writer is not None or self._closed:
            return
        sink = self._sink
        ready = self._can_send() and self._has_pending()
        now = asyncio.get_running_loop().time()
        if (
            ready
            and not self._replay
            and sink is not None
            and sink.writable
            and self._hold(now) <= 0
        ):
            frame = self._take()
            if frame and (encoded := self._encode(frame)) is not None:
                self._last_sent = now
                try:
                    sink.write(*encoded)
                except (ConnectionError, RuntimeError) as exc:
                    self._lost(sink, exc)
        elif ready or (self._replay and sink is not None):
            self._start_writer()

    def _start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        """Send until nothing can be sent, then end (the next put starts another)."""
        try:
            while True:
                # A resume during a replay asks for another replay on the newer socket.
                while self._replay and self._sink is not None:
                    self._replay = False
                    await self._resend(self._sink)
                if not (self._can_send() and self._has_pending()):
                    return
                await self._coalesce()
                if self._replay or not self._can_send():
                    continue  # a resume or a detach came while the frame waited
                frame = self._take()
                if frame:
                    await self._send_frame(frame)
        finally:
            self._writer = None

    async def _coalesce(self) -> None:
        """Hold a frame of changes and statuses only, so that it has company.

        Frames of nothing but changes leave at most every FRAME_GAP seconds.
        Statuses alone wait STATUS_GAP from the first, but never hold output
        back: with changes they leave together after FRAME_GAP at most, and
        the first change ends a wait for statuses. A frame with any other
        message (a terminal message, an error) leaves at once, and such a
        message put during the wait ends it. A frame per yield cost 12x the
        token bytes in the streaming benchmark; sharing frames brings it
        under 2x.
        """
        loop = asyncio.get_running_loop()
        while (wait := self._hold(loop.time())) > 0:
            self._hurry = hurry = loop.create_future()
            timer = loop.call_later(wait, _settle, hurry)
            try:
                await hurry
            finally:
                timer.cancel()
                self._hurry = None

    def _hold(self, now: float) -> float:
        """Seconds the pending frame still waits for company; ≤ 0 for none."""
        if self._head or self._tail:
            return 0.0
        until = self._last_sent + FRAME_GAP
        if not (self._changes or self._latest):
            until = max(until, self._status_since + STATUS_GAP)
        return until - now

    async def _resend(self, sink: Sink) -> None:
        for sent in list(self._sent):
            if self._sink is not sink or not await self._transmit(
                sent.data, sent.binary
            ):
                return

    async def _send_frame(self, frame: list[dict[str, Any]]) -> None:
        encoded = self._encode(frame)
        if encoded is not None:
            await self._transmit(*encoded)

    def _encode(self, frame: list[dict[str, Any]]) -> tuple[bytes, bool] | None:
        """Encode ``frame`` and number its messages, keeping it for a resume.

        None when a pending replay is to send it, after the older frames.
        """
        try:
            data, binary = encode_frame(frame)
        except TypeError:
            frame, refused = _encodable(frame)
            if refused:
                self._stale = (self._stale or set()) | refused
            data, binary = encode_frame(frame)
        start = self._next_index
        self._next_index += len(frame)
        # The first frame (the welcome, with the app's config) is not kept: a
        # client that never got it holds no token to resume with. Keeping it
        # cost 8 KiB per session until the first acknowledgement.
        if self._keep_sent and start > 0:
            if self._sent is _NONE_SENT:
                self._sent = deque()
            self._sent.append(_SentFrame(start, self._next_index, data, binary))
            self._sent_bytes += len(data)
            if self._replay:
                return None
        return data, binary

    async def _transmit(self, data: bytes, binary: bool) -> bool:
        sink = self._sink
        if sink is None:
            return False
        self._last_sent = asyncio.get_running_loop().time()
        try:
            await sink.send(data, binary)
        except (ConnectionError, RuntimeError) as exc:
            self._lost(sink, exc)
            return False
        return True

    def _lost(self, sink: Sink, exc: Exception) -> None:
        log.debug("outbox: socket gone (%s); waiting to resume", exc)
        if self._sink is sink:
            self._sink = None


class _SentFrame(NamedTuple):
    """A frame sent and kept until acknowledged: messages ``[start, end)``.

    A tuple: a frozen dataclass took a microsecond to build, once a frame.
    """

    start: int
    end: int
    data: bytes
    binary: bool


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _encode_change(key: tuple[int, str], sent: Any, newest: Any) -> list[Any]:
    block_id, prop = key
    if isinstance(newest, str) and isinstance(sent, str):
        if 0 < len(sent) < len(newest) and newest.startswith(sent):
            return [block_id, prop, newest[len(sent) :], "append"]
        return [block_id, prop, newest]

    if isinstance(newest, (list, dict)) and type(sent) is type(newest):
        edits = diff_values(sent, newest)
        whole = len(edits) == 1 and edits[0][0] == "replace" and not edits[0][1]
        if not whole:
            return [block_id, prop, edits, "edit"]
    return [block_id, prop, newest]


def _encodable(
    frame: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], set[tuple[int, str]]]:
    """The frame without what cannot be encoded, plus an error saying what.

    A value a component let through but the wire cannot carry must not stop
    the session's sending for good: the rest still goes out. Also returns the
    block properties whose change was left out: the client still holds
    their previous value.
    """
    kept: list[dict[str, Any]] = []
    refused: set[tuple[int, str]] = set()
    for message in frame:
        if message.get("type") == "update":
            changes = []
            for change in message["changes"]:
                problem = _refused(change)
                if problem is None:
                    changes.append(change)
                else:
                    refused.add((change[0], change[1]))
                    kept.append(
                        _unsendable(f"block {change[0]} {change[1]!r}", problem)
                    )
            if changes:
                kept.append({"type": "update", "changes": changes})
        elif (problem := _refused(message)) is None:
            kept.append(message)
        elif message.get("type") == "end":
            kept.append(_failed_end(message, problem))
        else:
            kept.append(_unsendable(f"a {message.get('type')!r} message", problem))
    return kept, refused


def _failed_end(end: dict[str, Any], problem: str) -> dict[str, Any]:
    """An ``end`` whose outputs cannot be sent ends its run with an error instead.

    Its run must still end, with its ref, or the caller waits for it forever.
    """
    log.error("cannot send the outputs of event %s: %s", end.get("event"), problem)
    failed: dict[str, Any] = {
        k: end[k] for k in ("type", "event", "listener") if k in end
    }
    failed["outcome"] = "error"
    failed["message"] = f"the server could not send the outputs: {problem}"
    if "ref" in end:
        failed["ref"] = end["ref"]
    return failed


def _refused(value: Any) -> str | None:
    try:
        encode_frame(value)
    except TypeError as exc:
        return str(exc)
    return None


def _unsendable(what: str, problem: str) -> dict[str, Any]:
    log.error("cannot send %s: %s", what, problem)
    return {
        "type": "error",
        "code": "internal",
        "message": f"the server could not send {what}: {problem}",
    }
