"""Streaming inputs of one session: webcam frames, paced and time-limited.

A ``stream`` message stores a frame as its component's value, firing neither
``change`` nor ``input``, and the component's ``stream`` listeners run on it.
The page sends frames as often as ``stream_every`` says, but any client may
send them faster; the server alone decides how often a listener runs:

* each ``stream`` listener runs at most once per ``stream_every`` seconds per
  session, counted from the start of one run to the start of the next;
* frames that arrive meanwhile are coalesced: the one waiting run reads the
  newest frame when it starts, so frames never queue up behind a slow
  function and the last frame sent is the last one processed;
* a stream starts with its first frame and ends when the client sends
  ``stream_stop``, or ``time_limit`` seconds after its first frame (the
  smallest ``time_limit`` of the component's ``stream`` listeners). Then the
  client gets ``stream_end`` and every further frame is refused until it
  sends ``stream_stop``; the next frame starts a new stream.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from reactive_blocks.declaration import Component, Listener
from reactive_blocks.errors import ProtocolError
from reactive_blocks.log import session_logger as log
from reactive_blocks.protocol import is_json_int
from reactive_blocks.scheduler import Event

if TYPE_CHECKING:
    from reactive_blocks.session._session import Session

Phase = Literal["idle", "live", "ended"]


class Streams:
    """The input streams of one session, created at its first stream message.

    Args:
        session: The session the frames arrive in.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._streams: dict[int, _Stream] = {}
        self._pacers: dict[int, _Pacer] = {}

    def receive(self, message: dict[str, Any]) -> None:
        """Handle a ``stream`` frame or a ``stream_stop``.

        Raises:
            ProtocolError: naming what is wrong; the session carries on.
        """
        stream = self._stream_of(message)
        if message["type"] == "stream_stop":
            stream.stop()
            return

        component = stream.component
        frame = self._session.edited_value(component, message)
        if frame is None:
            raise ProtocolError("bad_value", f"a frame of {component.name} is empty")

        if component.checks_whole:
            self._session.check_then(
                [component],
                [frame],
                message.get("ref"),
                lambda: self._take(stream, frame),
            )
        else:
            self._take(stream, frame)

    def _take(self, stream: _Stream, frame: Any) -> None:
        """Store a checked frame as the newest value; its listeners may run."""
        stream.admit()
        self._session.store_frame(stream.component, frame)
        for listener in stream.listeners:
            self._pacer(listener).frame_arrived()

    def started(self, event: Event) -> None:
        """A run began: the next run of its stream listener waits from now."""
        pacer = self._pacers.get(event.listener.id)
        if pacer is not None:
            pacer.last_start = asyncio.get_running_loop().time()

    def ended(self, event: Event) -> None:
        """A run ended: a frame that came while it ran may now have its run."""
        pacer = self._pacers.get(event.listener.id)
        if pacer is not None:
            pacer.run_ended()

    def close(self) -> None:
        """The session ends: no frame is run and no stream ends any more."""
        for stream in self._streams.values():
            stream.stop()
        for pacer in self._pacers.values():
            pacer.cancel()

    def _stream_of(self, message: dict[str, Any]) -> _Stream:
        kind = message["type"]
        block_id = message.get("id")
        if not is_json_int(block_id):
            raise ProtocolError("bad_message", f"'{kind}' needs an integer 'id'")
        stream = self._streams.get(block_id)
        if stream is not None:
            return stream

        session = self._session
        component = session.runtime.spec.components.get(block_id)
        if component is None:
            raise ProtocolError("unknown_component", f"no component with id {block_id}")
        if not component.streaming:
            raise ProtocolError(
                "not_streaming",
                f"{component.name} does not stream; declare it with streaming=True "
                "or send its value with 'set'",
            )

        listeners = session.runtime.graph.fired_by(block_id, "stream")
        stream = self._streams[block_id] = _Stream(session, component, listeners)
        return stream

    def _pacer(self, listener: Listener) -> _Pacer:
        pacer = self._pacers.get(listener.id)
        if pacer is None:
            pacer = self._pacers[listener.id] = _Pacer(self._session, listener)
        return pacer


class _Stream:
    """One component's stream in one session: ``idle → live → ended → idle``."""

    def __init__(
        self, session: Session, component: Component, listeners: tuple[Listener, ...]
    ) -> None:
        self.session = session
        self.component = component
        self.listeners = listeners
        limits = [ls.time_limit for ls in listeners if ls.time_limit is not None]
        self.time_limit: float | None = min(limits) if limits else None
        self.phase: Phase = "idle"
        self._deadline: asyncio.TimerHandle | None = None

    def admit(self) -> None:
        """Accept a frame, starting the stream if it is idle.

        Raises:
            ProtocolError: the stream reached its time limit and was not
                stopped since.
        """
        if self.phase == "ended":
            raise ProtocolError(
                "stream_ended",
                f"the stream of {self.component.name} ended at its time_limit of "
                f"{self.time_limit:g} s; send 'stream_stop', then frames of a new stream",
            )
        if self.phase == "idle":
            self.phase = "live"
            if self.time_limit is not None:
                loop = asyncio.get_running_loop()
                self._deadline = loop.call_later(self.time_limit, self._expire)

    def stop(self) -> None:
        """The client stopped the stream: the next frame starts a new one."""
        self.phase = "idle"
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.phase != "live" or not self.session.is_open:
            return
        self.phase = "ended"
        message = (
            f"the stream of {self.component.name} reached its time_limit of "
            f"{self.time_limit:g} s and was stopped"
        )
        log.debug("session %s: %s", self.session.key, message)
        self.session.outbox.put(
            {
                "type": "stream_end",
                "id": self.component.id,
                "code": "time_limit",
                "message": message,
            }
        )


class _Pacer:
    """When one ``stream`` listener runs for one session.

    At most one run waits at a time and it reads the newest frame when it
    starts, so nothing is queued per frame; a new run is submitted no sooner
    than ``stream_every`` seconds after the previous one started.
    """

    def __init__(self, session: Session, listener: Listener) -> None:
        self.session = session
        self.listener = listener
        self.last_start: float | None = None
        self._waiting: Event | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._missed = False

    def frame_arrived(self) -> None:
        waiting = self._waiting
        if self._timer is not None or (
            waiting is not None and waiting.stage in ("queued", "held")
        ):
            return  # the run already due reads this frame when it starts

        loop = asyncio.get_running_loop()
        due = 0.0
        if self.last_start is not None:
            due = self.last_start + self.listener.stream_every - loop.time()
        if due > 0:
            self._timer = loop.call_later(due, self._submit)
        else:
            self._submit()

    def run_ended(self) -> None:
        if self._missed:
            self._missed = False
            # After the scheduler has finished ending the run, not inside it.
            asyncio.get_running_loop().call_soon(self.frame_arrived)

    def cancel(self) -> None:
        self._missed = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _submit(self) -> None:
        self._timer = None
        if not self.session.is_open:
            return
        scheduler = self.session.runtime.scheduler
        if self.listener.trigger_mode == "once" and scheduler.busy(
            self.session, self.listener
        ):
            # 'once' would refuse this run: the running one's end brings it.
            self._missed = True
            return
        self._waiting = scheduler.submit(self.session, self.listener)
