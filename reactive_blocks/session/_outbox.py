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
from collections.abc import Awaitable, Callable
from typing import Any

from reactive_blocks.log import session_logger as log
from reactive_blocks.protocol import diff_values, encode_frame

Send = Callable[[bytes, bool], Awaitable[None]]


class Outbox:
    """Coalescing, ordered sending for one session.

    A frame is ``[messages put before the first change..., one update with
    every change, the newest of each replaceable message, messages put
    after]``: a terminal message always follows the changes of its event.

    Args:
        send: Sends one encoded frame; the bool says whether it is binary.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._head: list[dict[str, Any]] = []
        self._tail: list[dict[str, Any]] = []
        self._changes: dict[tuple[int, str], list[Any]] = {}
        self._latest: dict[Any, dict[str, Any]] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def put(self, message: dict[str, Any]) -> None:
        """Queue one message, after everything put before it."""
        (self._tail if self._changes or self._latest else self._head).append(message)
        self._wake.set()

    def put_latest(self, key: Any, message: dict[str, Any]) -> None:
        """Queue a message that a newer one with the same ``key`` replaces.

        Progress reports use it: a slow client gets the newest only.
        """
        self._latest[key] = message
        self._wake.set()

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
            self._changes[key] = [previous, value]
        else:
            pending[1] = value
        self._wake.set()

    def pending(self) -> int:
        """How many messages and changes wait to be sent."""
        return (
            len(self._head) + len(self._tail) + len(self._changes) + len(self._latest)
        )

    async def close(self, *, flush: bool = False) -> None:
        """Stop sending; with ``flush``, send what waits first."""
        self._closed = True
        self._wake.set()
        if not flush:
            self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer

    def _take(self) -> list[dict[str, Any]]:
        frame = self._head
        if self._changes:
            changes = [_encode_change(k, *v) for k, v in self._changes.items()]
            frame.append({"type": "update", "changes": changes})
            self._changes = {}
        if self._latest:
            frame.extend(self._latest.values())
            self._latest = {}
        frame.extend(self._tail)
        self._head, self._tail = [], []
        return frame

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            frame = self._take()
            if frame:
                data, binary = encode_frame(frame)
                try:
                    await self._send(data, binary)
                except (ConnectionError, RuntimeError) as exc:
                    log.debug("outbox: socket gone (%s); dropping frames", exc)
                    return
            if self._closed and not self.pending():
                return


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
