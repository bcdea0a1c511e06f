"""A session: one connected tab's values, events and outbox."""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from reactive_blocks.declaration import Component, Listener
from reactive_blocks.errors import Error, ProtocolError, brief
from reactive_blocks.log import session_logger as log
from reactive_blocks.protocol import PROTOCOL_VERSION, equal_values, is_json_int
from reactive_blocks.scheduler import (
    Event,
    Outcome,
    OutputChange,
    Refusal,
    Stage,
    with_state_places,
)
from reactive_blocks.session._outbox import Outbox, Sink
from reactive_blocks.session._streams import Streams
from reactive_blocks.session._ticks import Ticker

if TYPE_CHECKING:
    from reactive_blocks.session._runtime import Runtime

#: Change waves one user action may cause before propagation stops as a loop.
MAX_WAVES: Final = 32

#: A client message count is confirmed after this many messages or seconds.
CONFIRM_EVERY: Final = 64
CONFIRM_DELAY: Final = 0.2

#: Seconds between two log lines about one session's refused messages.
REFUSAL_LOG_GAP: Final = 1.0

GENERIC_ERROR: Final = "Error in the app's function (the server log has details)."

#: Events the server fires itself, from values, the session's life and streams;
#: a client never sends them as a ``trigger``.
SERVER_EVENTS: Final = frozenset({"change", "input", "load", "unload", "stream"})

State = Literal["open", "detached", "closing", "closed"]

_UNSET: Final = object()
#: Edit counts seen by a run that started before the user edited anything.
_NO_EDITS: Final[Mapping[int, int]] = MappingProxyType({})


class Reader(Protocol):
    """The socket a session's messages come from, as far as the session steers it."""

    def pause_reading(self) -> None:
        """Read nothing more until ``resume_reading``; the peer is held back."""

    def resume_reading(self) -> None:
        """Read again."""


class Session:
    """The server's copy of one tab: values, props, running events, outbox.

    Values live here, not in the page: the page sends a value when the user
    edits it, and listeners read their inputs from the session. Only what
    differs from the app's initial values is stored, so an idle session
    costs a few small objects.

    The session moves ``open → closing → closed`` once; ``close()`` runs
    its teardown exactly once however the connection ended. A lost
    connection moves it to ``detached`` instead, where its runs go on and its
    outbox collapses what it cannot send, until ``resume`` attaches a new
    socket or the grace period ends it.
    """

    # Slots keep an idle session small: thousands of them stay open at once.
    __slots__ = (
        "_call_outputs",
        "_confirmed",
        "_confirming",
        "_edit_counts",
        "_edits_seen",
        "_event_ids",
        "_grace",
        "_held",
        "_props",
        "_reader",
        "_refusals",
        "_resumed_with",
        "_state_expiry",
        "_streams",
        "_teardown",
        "_ticker",
        "_values",
        "connection",
        "key",
        "outbox",
        "received",
        "resume_token",
        "runtime",
        "state",
    )

    def __init__(self, key: str, runtime: Runtime, sink: Sink) -> None:
        self.key = key
        self.runtime = runtime
        self.state: State = "open"
        self.outbox = Outbox(
            sink,
            keep_sent=runtime.reconnect_grace > 0,
            before_frame=self._confirm_if_due,
        )
        self.resume_token = runtime.mint_token(self)
        #: The token the last resume used, until the client speaks again.
        self._resumed_with: str | None = None
        self.connection = 0
        self._grace: asyncio.TimerHandle | None = None
        self.received = 0
        self._confirmed = 0
        self._confirming: asyncio.TimerHandle | None = None
        self._values: dict[int, Any] = {}
        self._props: dict[tuple[int, str], Any] = {}
        self._event_ids = itertools.count(1)
        self._call_outputs: dict[int, list[Any]] = {}
        self._teardown: asyncio.Task[None] | None = None
        self._edit_counts: dict[int, int] = {}
        self._edits_seen: dict[int, dict[int, int]] = {}
        self._ticker = Ticker(self)
        self._state_expiry: dict[int, asyncio.TimerHandle] = {}
        self._streams: Streams | None = None
        #: Messages waiting for an upload's check to end, in arrival order.
        self._held: deque[Any] | None = None
        self._reader: Reader | None = None
        #: When the next refusal may be logged, and how many were not since.
        self._refusals: list[Any] | None = None

    # -- lifecycle -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.state in ("open", "detached")

    def detach(self) -> None:
        """The connection was lost: keep running for the grace period, then end."""
        if self.state != "open":
            return
        grace = self.runtime.reconnect_grace
        if grace <= 0:
            asyncio.get_running_loop().create_task(self.close())
            return

        self.state = "detached"
        self.outbox.detach()
        self._grace = asyncio.get_running_loop().call_later(
            grace, lambda: asyncio.ensure_future(self._expire())
        )
        log.debug("session %s detached; %s s to resume", self.key, grace)

    async def _expire(self) -> None:
        if self.state == "detached":
            log.debug("session %s: no resume within the grace period", self.key)
            await self.close()

    def resume(self, received: int, token: str) -> str:
        """Take the session back for a new socket; returns the new resume token.

        ``token`` is the one the client resumed with. It keeps working until
        the client sends its first message over the new socket: clients send
        nothing before they read the ``resumed`` answer, so that message shows
        the new token arrived. A connection lost before then (the answer may
        be lost with it) can resume again with the same token. Every other
        token of the session stops working at once. Call ``attach`` next.

        Raises:
            ValueError: ``received`` is not a count this session sent.
        """
        self.outbox.check_resume(received)
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        self.outbox.detach()
        self.state = "open"
        self.connection += 1
        for stale in {self.resume_token, self._resumed_with} - {token}:
            self.runtime.forget_token(stale)
        self._resumed_with = token
        self.resume_token = self.runtime.mint_token(self)
        return self.resume_token

    def attach(self, sink: Sink, received: int) -> None:
        """Send over the new socket, from the client's ``received`` messages on."""
        self.outbox.attach(sink, received)

    def start(self) -> None:
        """Send the welcome, then fire the app's ``load`` listeners.

        The welcome carries a resume token only when the session may resume.
        """
        welcome: dict[str, Any] = {
            "type": "welcome",
            "protocol": PROTOCOL_VERSION,
            "session": self.key,
            "config": self.runtime.spec.config,
        }
        if self.outbox.keeps_sent:
            welcome["resume_token"] = self.resume_token
        self.outbox.put(welcome)

        graph = self.runtime.graph
        for listener in graph.fired_by(graph.root_id, "load"):
            self.runtime.scheduler.submit(self, listener)
        self._ticker.start()

    async def close(self) -> None:
        """End the session: cancel its events, run ``unload`` once, stop sending.

        Safe to call from several places at once (the socket's handler and a
        server shutdown): every caller waits for the one teardown.
        """
        if self._teardown is None:
            self.state = "closing"
            self._teardown = asyncio.get_running_loop().create_task(self._tear_down())
        await asyncio.shield(self._teardown)

    async def _tear_down(self) -> None:
        for handle in (self._grace, self._confirming):
            if handle is not None:
                handle.cancel()
        self.runtime.forget_token(self.resume_token)
        self.runtime.forget_token(self._resumed_with)
        await self._ticker.stop()
        if self._streams is not None:
            self._streams.close()
        self.runtime.scheduler.end_owner(self)
        await self._run_unload()
        self.delete_state()
        await self.outbox.close()

        self.state = "closed"
        self.runtime.forget(self)
        log.debug("session %s closed", self.key)

    async def _run_unload(self) -> None:
        graph = self.runtime.graph
        for listener in graph.fired_by(graph.root_id, "unload"):
            if listener.fn is None:
                continue
            try:
                await self.runtime.executor.call(listener.fn, [])
            except Exception as exc:
                log.error("unload listener %s raised", listener.name, exc_info=exc)

    # -- messages from the client -------------------------------------------

    def receive(self, message: Any) -> None:
        """Handle one decoded client message, after those that came before it.

        A message the session cannot use gets an ``error`` naming what is
        wrong, and the session carries on. While an upload is checked off
        the loop (``check_then``), later messages wait for it, in order.
        """
        if self._held is not None:
            self._held.append(message)
            return

        ref = message.get("ref") if isinstance(message, dict) else None
        try:
            self._handle(message)
        except Exception as exc:
            self._report(exc, ref)

    def _report(self, exc: Exception, ref: Any) -> None:
        """Answer a message that failed: its refusal, or the server's own error."""
        if isinstance(exc, ProtocolError):
            self.protocol_error(exc, ref)
        else:
            log.error("session %s: failed to handle a message", self.key, exc_info=exc)
            self.failed_on_message(ref)

    def read_from(self, reader: Reader) -> None:
        """Take messages from ``reader`` now, a new socket or a resumed one."""
        self._reader = reader
        if self._held is not None:
            reader.pause_reading()

    def check_then(
        self,
        components: Sequence[Component],
        values: Sequence[Any],
        ref: Any,
        then: Callable[[], object],
    ) -> None:
        """Check values whole in a check thread, then go on with ``then``.

        With nothing to check (``Runtime.check_whole``), ``then`` runs now.

        Decoding every pixel of an upload held the loop, and every other
        session, 0.2 s for a 12-megapixel JPEG. Until the check ends, this
        session's later messages wait, so that they see its outcome; a value
        that fails it is refused as ``bad_value`` and ``then`` is not called.
        The socket is not read meanwhile: held messages take the memory of
        one read at most, however fast the client sends.
        """
        checked = self.runtime.check_whole(components, values)
        if checked is None:
            then()
            return
        self._held = deque()
        if self._reader is not None:
            self._reader.pause_reading()
        checked.add_done_callback(functools.partial(self._checked, ref, then))

    def _checked(
        self, ref: Any, then: Callable[[], object], checked: asyncio.Future[None]
    ) -> None:
        held, self._held = self._held, None
        if not self.is_open or checked.cancelled():
            self._read_again()
            return
        try:
            checked.result()
            then()
        except ValueError as exc:
            self.protocol_error(ProtocolError("bad_value", str(exc)), ref)
        except Exception as exc:
            self._report(exc, ref)

        while held:
            self.receive(held.popleft())
            if self._held is not None:  # another check began: the rest wait again
                self._held.extend(held)
                return
        self._read_again()

    def _read_again(self) -> None:
        if self._reader is not None:
            self._reader.resume_reading()

    def _handle(self, message: Any) -> None:
        """Handle one message now.

        Raises:
            ProtocolError: naming what is wrong; the session carries on.
        """
        if not isinstance(message, dict):
            raise ProtocolError("bad_message", "a message must be a JSON object")
        kind = message.get("type")
        ref = message.get("ref")
        if kind != "ack":
            self._confirm_soon()
        if kind == "set":
            self._receive_set(message)
        elif kind == "trigger":
            self._receive_trigger(message, ref)
        elif kind == "call":
            self._receive_call(message, ref)
        elif kind in ("stream", "stream_stop"):
            if self._streams is None:
                self._streams = Streams(self)
            self._streams.receive(message)
        elif kind == "ping":
            self.outbox.put_after_statuses({"type": "pong", "ref": ref})
        elif kind == "ack":
            self.outbox.acknowledge(self._acknowledged(message))
        elif kind == "hello":
            raise ProtocolError("bad_message", "'hello' is only the first message")
        else:
            raise ProtocolError("bad_message", f"unknown message type {kind!r}")

    def note_received(self) -> None:
        """Count one message from the client, usable or not.

        The count is confirmed to the client now and then (``ack``) and on
        resume, so that after a lost connection it knows which of its
        messages to send again. Every 64 messages confirm at once; the
        0.2 s timer starts only for a message other than the client's own
        ``ack``, as confirming acks would have both sides acknowledge each
        other's acknowledgements forever.
        """
        if self._resumed_with is not None:
            self.runtime.forget_token(self._resumed_with)
            self._resumed_with = None
        self.received += 1
        if self.outbox.keeps_sent and self.received - self._confirmed >= CONFIRM_EVERY:
            self._confirm()

    def _confirm_soon(self) -> None:
        """Send an ``ack`` of the client's messages 0.2 s from now.

        Acknowledging each message would double the frames of a slider drag.
        """
        if not self.outbox.keeps_sent:
            return
        if self._confirming is None:
            loop = asyncio.get_running_loop()
            self._confirming = loop.call_later(CONFIRM_DELAY, self._confirm)

    def _confirm_if_due(self) -> None:
        """Let an ``ack`` due within half its delay ride in the frame leaving now.

        With many sessions each sending a few messages a second, most acks
        left in frames of their own, one for every two or three events with
        500 sessions in the throughput benchmark.
        """
        confirming = self._confirming
        if confirming is not None:
            due = confirming.when() - asyncio.get_running_loop().time()
            if due <= CONFIRM_DELAY / 2:
                self._confirm()

    def _confirm(self) -> None:
        if self._confirming is not None:
            self._confirming.cancel()
            self._confirming = None
        if self.is_open and self.received != self._confirmed:
            self._confirmed = self.received
            self.outbox.put_latest("ack", {"type": "ack", "received": self.received})

    def _acknowledged(self, message: dict[str, Any]) -> int:
        """The count an ``ack`` confirms, refused unless the server sent that many.

        A count beyond the messages sent would have the outbox forget frames
        the client never got, and a resume would then lose them.
        """
        received = message.get("received")
        sent = self.outbox.messages_sent
        if not is_json_int(received) or not 0 <= received <= sent:
            raise ProtocolError(
                "bad_message",
                f"'ack' needs 'received', the count of server messages applied: a "
                f"whole number from 0 to {sent}, the messages sent so far; got "
                f"{received!r}",
            )
        return received

    def _receive_set(self, message: dict[str, Any]) -> None:
        component = self._component(message)
        value = self.edited_value(component, message)
        if component.checks_whole:
            self.check_then(
                [component],
                [value],
                message.get("ref"),
                lambda: self._store_set(component, value),
            )
        else:
            self._store_set(component, value)

    def edited_value(self, component: Component, message: dict[str, Any]) -> Any:
        """The value a user's edit (a ``set``, a ``stream`` frame) gives ``component``.

        Raises:
            ProtocolError: the message has no value, the component is not
                editable now, or the value is not one it takes.
        """
        if "value" not in message:
            raise ProtocolError("bad_message", f"'{message['type']}' needs a 'value'")
        if not self.prop(component.id, "interactive"):
            raise ProtocolError("not_interactive", f"{component.name} is not editable")
        try:
            return component.validate(message["value"])
        except ValueError as exc:
            raise ProtocolError("bad_value", str(exc)) from None

    def _store_set(self, component: Component, value: Any) -> None:
        """Store a user's edit and fire the listeners it triggers."""
        previous = self.value(component.id)
        if _same(previous, value):
            return
        self._values[component.id] = value
        self._edit_counts[component.id] = self._edit_counts.get(component.id, 0) + 1
        fired = self._listeners_of(
            [component.id], component.user_events(previous, value)
        )
        self._submit_wave(fired, depth=0, path=(component.id,))

    def store_frame(self, component: Component, frame: Any) -> None:
        """Store a stream frame as the user's newest value; it fires nothing."""
        self._values[component.id] = frame
        self._edit_counts[component.id] = self._edit_counts.get(component.id, 0) + 1

    def _receive_trigger(self, message: dict[str, Any], ref: Any) -> None:
        block_id = message.get("id")
        event = message.get("event")
        if not is_json_int(block_id):
            raise ProtocolError("bad_message", "'trigger' needs an integer 'id'")
        if not isinstance(event, str):
            raise ProtocolError("bad_message", "'trigger' needs a string 'event'")
        if block_id not in self.runtime.spec.blocks:
            raise ProtocolError("unknown_component", f"no block with id {block_id}")
        if event in SERVER_EVENTS:
            raise ProtocolError(
                "bad_message", f"'{event}' is fired by the server, not sent"
            )
        fired = self.runtime.graph.fired_by(block_id, event)
        if not fired:
            raise ProtocolError("unknown_event", self._no_listener(block_id, event))
        if (
            not self.prop(block_id, "visible")
            or self.prop(block_id, "interactive") is False
        ):
            raise ProtocolError(
                "not_interactive", f"block {block_id} is not interactive"
            )

        skip = message.get("skip", [])
        if not isinstance(skip, list) or not all(is_json_int(i) for i in skip):
            raise ProtocolError("bad_message", "'skip' must be a list of listener ids")
        for listener in fired:
            if listener.id not in skip:
                self.runtime.scheduler.submit(self, listener, ref=ref)

    def _no_listener(self, block_id: int, event: str) -> str:
        """Name the events a trigger on this block can fire, for ``unknown_event``."""
        block = self.runtime.spec.blocks[block_id]
        name = getattr(block, "name", f"{type(block).__name__} {block_id}")
        events = [
            e for e in self.runtime.graph.events_of(block_id) if e not in SERVER_EVENTS
        ]
        sendable = (
            f"triggers it takes: {', '.join(repr(e) for e in events)}"
            if events
            else "it takes no triggers"
        )
        return f"no listener of {name} fires on {event!r}; {sendable}"

    def _receive_call(self, message: dict[str, Any], ref: Any) -> None:
        listener = self._called_listener(message)
        inputs = message.get("inputs", [])
        if not isinstance(inputs, list):
            raise ProtocolError("bad_message", "'call' needs 'inputs' as a list")

        # Without a function, a call (from a listener's js) carries output values.
        # State is never passed: it is read from the session when the run starts.
        # Values are checked as a listener's returned values are, so that a
        # caller can pass what the page cannot edit (a Chatbot's history).
        if listener.fn is not None:
            takes, passed = listener.inputs, listener.sent_inputs
        else:
            takes, passed = listener.outputs, listener.shown_outputs
        if len(inputs) != len(passed):
            raise ProtocolError(
                "bad_value",
                f"listener {listener.name} takes {len(passed)} inputs, got {len(inputs)}",
            )
        try:
            values = [c.validate_output(v) for c, v in zip(passed, inputs, strict=True)]
        except ValueError as exc:
            raise ProtocolError("bad_value", str(exc)) from None

        values = with_state_places(takes, values)
        if listener.checks_sent_values:
            self.check_then(
                takes,
                values,
                ref,
                lambda: self.runtime.scheduler.submit(
                    self, listener, ref=ref, inputs=values
                ),
            )
        else:
            self.runtime.scheduler.submit(self, listener, ref=ref, inputs=values)

    def _called_listener(self, message: dict[str, Any]) -> Listener:
        graph = self.runtime.graph
        if "api_name" in message:
            name = message["api_name"]
            listener = graph.by_api_name(name) if isinstance(name, str) else None
            if listener is None:
                raise ProtocolError(
                    "unknown_listener", f"no listener with api_name {name!r}"
                )
            return listener
        listener_id = message.get("listener")
        if not is_json_int(listener_id):
            raise ProtocolError(
                "bad_message",
                f"'call' needs a string 'api_name' or an integer 'listener', "
                f"got {listener_id!r}",
            )
        listener = graph.listener(listener_id)
        if listener is None or (listener.api_name is None and listener.js is None):
            raise ProtocolError(
                "unknown_listener", f"no listener {listener_id!r} open to calls"
            )
        return listener

    def _component(self, message: dict[str, Any]) -> Component:
        block_id = message.get("id")
        if not is_json_int(block_id):
            raise ProtocolError(
                "bad_message", f"'{message.get('type')}' needs an integer 'id'"
            )
        component = self.runtime.spec.components.get(block_id)
        if component is None:
            raise ProtocolError("unknown_component", f"no component with id {block_id}")
        return component

    # -- values ---------------------------------------------------------------

    def value(self, block_id: int) -> Any:
        """The session's current wire value of a component."""
        value = self._values.get(block_id, _UNSET)
        if value is not _UNSET:
            return value
        initial = self.runtime.spec.initial_values.get(block_id)
        component = self.runtime.spec.components.get(block_id)
        if component is not None and component.server_only:
            initial = self._values[block_id] = component.fresh_value(initial)
        return initial

    def prop(self, block_id: int, name: str) -> Any:
        """The session's current value of a block property."""
        try:
            return self._props[(block_id, name)]
        except KeyError:
            return self.runtime.spec.config["blocks"][str(block_id)]["props"].get(name)

    # -- EventOwner ------------------------------------------------------------

    def next_event_id(self) -> int:
        return next(self._event_ids)

    def read_values(self, components: tuple[Component, ...]) -> list[Any]:
        return [self.value(c.id) for c in components]

    def apply_outputs(self, event: Event, changes: list[OutputChange]) -> None:
        """Apply one wave of outputs, then fire ``change`` for what really changed."""
        changed: list[int] = []
        seen = self._edits_seen.get(event.id, _NO_EDITS)
        for component, props in changes:
            if self._edit_counts.get(component.id, 0) != seen.get(component.id, 0):
                # The user edited it since this run began: their edit wins.
                props = {k: v for k, v in props.items() if k != "value"}
            for name, new in props.items():
                if self._set(component.id, name, new) and name == "value":
                    changed.append(component.id)
        if event.inputs is not None:
            shown = event.listener.shown_outputs
            self._call_outputs[event.id] = self.read_values(shown)
        if changed:
            fired = self._listeners_of(changed, ("change",))
            self._submit_wave(
                fired, depth=event.depth + 1, path=(*event.path, *changed)
            )

    def _edit_counts_of(self, listener: Listener) -> dict[int, int]:
        counts = self._edit_counts
        return {c.id: counts[c.id] for c in listener.outputs if c.id in counts}

    def _set(self, block_id: int, name: str, new: Any) -> bool:
        old = self.value(block_id) if name == "value" else self.prop(block_id, name)
        if _same(old, new):
            return False
        if name == "value":
            self._values[block_id] = new
        else:
            self._props[(block_id, name)] = new

        component = self.runtime.spec.components.get(block_id)
        if component is not None and component.server_only:
            self._state_stored(component)
        else:
            self.outbox.change(block_id, name, new, old)
        return True

    def _state_stored(self, component: Component) -> None:
        """Restart the value's time to live and count the session as holding State."""
        self.runtime.state_keeper.stored(self)
        ttl = getattr(component, "time_to_live", None)
        if ttl is None:
            return
        expiry = self._state_expiry.pop(component.id, None)
        if expiry is not None:
            expiry.cancel()
        loop = asyncio.get_running_loop()
        self._state_expiry[component.id] = loop.call_later(
            ttl, self._delete_state_value, component
        )

    def delete_state(self) -> None:
        """Delete every State value of the session, running its delete_callback."""
        for component in self.runtime.spec.components.values():
            if component.server_only and component.id in self._values:
                self._delete_state_value(component)

    def _delete_state_value(self, component: Component) -> None:
        expiry = self._state_expiry.pop(component.id, None)
        if expiry is not None:
            expiry.cancel()
        value = self._values.pop(component.id, None)
        callback = getattr(component, "delete_callback", None)
        if callback is not None:
            try:
                called = self.runtime.executor.call(callback, [value])
            except Exception as exc:
                log.error("a State delete_callback raised", exc_info=exc)
            else:
                called.add_done_callback(_log_callback_error)

    def _listeners_of(
        self, block_ids: list[int], events: tuple[str, ...]
    ) -> list[Listener]:
        fired: dict[int, Listener] = {}
        graph = self.runtime.graph
        for block_id in block_ids:
            for event in events:
                for listener in graph.fired_by(block_id, event):
                    fired.setdefault(listener.id, listener)
        return list(fired.values())

    def _submit_wave(
        self, fired: list[Listener], *, depth: int, path: tuple[int, ...]
    ) -> None:
        """Submit the listeners one wave fired, each once, after it settled."""
        if not fired:
            return
        if depth > MAX_WAVES:
            self._report_loop(path)
            return
        for listener in fired:
            self.runtime.scheduler.submit(self, listener, depth=depth, path=path)

    def _report_loop(self, path: tuple[int, ...]) -> None:
        components = self.runtime.spec.components
        looping = list(dict.fromkeys(path[-MAX_WAVES:]))
        names = ", ".join(components[i].name for i in looping if i in components)
        message = (
            f"change propagation did not settle after {MAX_WAVES} waves: {names} keep "
            "changing each other; stop the loop by returning the current value when "
            "nothing needs to change"
        )
        log.warning("session %s: %s", self.key, message)
        self.outbox.put(
            {"type": "error", "code": "propagation_loop", "message": message}
        )

    def event_status(
        self,
        event: Event,
        stage: Stage,
        position: int | None = None,
        eta: float | None = None,
    ) -> None:
        if stage == "running":
            if self._edit_counts:  # else none were seen: the default
                self._edits_seen[event.id] = self._edit_counts_of(event.listener)
            if self._streams is not None:
                self._streams.started(event)
        message = _about_event("event", event, "stage", stage)
        if position is not None:
            message["position"] = position
        if eta is not None:
            message["eta"] = round(eta, 3)
        self.outbox.put_status(event.id, message)

    def notify(
        self, event: Event, level: str, message: str, duration: float | None
    ) -> None:
        self.outbox.put_after_statuses(
            {
                "type": "toast",
                "event": event.id,
                "level": level,
                "message": message,
                "duration": duration,
            },
            of=event.id,
        )

    def progress(self, event: Event, update: dict[str, Any]) -> None:
        message = {"type": "progress", "event": event.id, **update}
        self.outbox.put_latest(("progress", event.id), message)

    def event_ended(
        self,
        event: Event,
        outcome: Outcome,
        error: BaseException | str | None,
        outputs: list[Any] | None,
    ) -> None:
        outputs = self._call_outputs.pop(event.id, outputs)
        self._edits_seen.pop(event.id, None)
        if not self.is_open:
            return
        if self._streams is not None:
            self._streams.ended(event)
        message = _about_event("end", event, "outcome", outcome)
        if isinstance(error, Refusal):
            message["code"] = error.code
        if error is not None:
            message["message"] = brief(self._error_text(error))
        if event.inputs is not None and outcome == "done":
            message["outputs"] = outputs if outputs is not None else []
        self.outbox.put(message, ends=event.id)

    def _error_text(self, error: BaseException | str) -> str:
        if isinstance(error, str):
            return error
        if isinstance(error, Error):
            return error.message
        if isinstance(error, Refusal):
            return str(error)
        if self.runtime.show_error:
            return f"{type(error).__name__}: {error}"
        return GENERIC_ERROR

    def failed_on_message(self, ref: Any) -> None:
        """Tell the client the server failed on its message; the caller logged why."""
        self.protocol_error(
            ProtocolError("internal", "the server failed on this message"), ref
        )

    def protocol_error(self, error: ProtocolError, ref: Any = None) -> None:
        """Tell the client a message of its could not be used."""
        self._log_refusal(error)
        self._confirm_soon()
        message: dict[str, Any] = {
            "type": "error",
            "code": error.code,
            "message": str(error),
        }
        if ref is not None:
            message["ref"] = ref
        self.outbox.put(message)

    def _log_refusal(self, error: ProtocolError) -> None:
        """Log a refused message: one line a second at most, the rest at DEBUG.

        A client flooding bad or rate-limited messages wrote a line for each
        of them, half a gigabyte of log in twelve seconds.
        """
        now = time.monotonic()
        if self._refusals is not None and now < self._refusals[0]:
            self._refusals[1] += 1
            log.debug("session %s: %s: %s", self.key, error.code, error)
            return

        unlogged = self._refusals[1] if self._refusals is not None else 0
        since = f" ({unlogged} more refused since the last line)" if unlogged else ""
        log.warning("session %s: %s: %s%s", self.key, error.code, error, since)
        self._refusals = [now + REFUSAL_LOG_GAP, 0]


def _log_callback_error(called: asyncio.Future[Any]) -> None:
    if not called.cancelled() and called.exception() is not None:
        log.error("a State delete_callback raised", exc_info=called.exception())


def _same(old: Any, new: Any) -> bool:
    """Equal as the page would see it: ``True`` and ``1`` differ at any depth.

    Values that cannot be compared (arrays in a State) count as changed.
    """
    try:
        return equal_values(old, new)
    except (ValueError, TypeError):
        return False


def _about_event(kind: str, event: Event, field: str, value: Any) -> dict[str, Any]:
    """A message about ``event``: its id, its listener, one field, the client's ref."""
    message = {
        "type": kind,
        "event": event.id,
        "listener": event.listener.id,
        field: value,
    }
    if event.ref is not None:
        message["ref"] = event.ref
    return message
