"""Raw protocol clients for the three targets, all on one aiohttp stack.

Each speaks its server's wire protocol directly, as a browser tab does, so
the load generator measures the servers and not three different client
libraries:

* ``FloorSession``: the echo server's WebSocket (the floor).
* ``RBSession``: reactive_blocks' socket (``docs/protocol.md``): ``hello``,
  then ``call``/``set``/``trigger``, each run ending in one ``end``, and an
  ``ack`` of the messages applied as the page and the Python client send it.
* ``GradioSession``: Gradio's queue as its page drives it: ``POST
  /gradio_api/queue/join`` per event, one SSE stream ``GET
  /gradio_api/queue/data`` per tab kept open while events are pending, the
  ``heartbeat`` stream for the tab's life, and ``always_last``/``once``
  applied in the client as Gradio's page applies them.

Every session counts the payload bytes it receives (WebSocket frame payloads,
SSE body bytes) so that scenarios can report bytes on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable
from typing import Any, Final

import aiohttp
import orjson

log = logging.getLogger("benchmarks.clients")

RB_PROTOCOL: Final = 1
#: The protocol's rule for ``ack``: at once after this many unconfirmed
#: messages, else this long after the first of them.
RB_ACK_EVERY: Final = 64
RB_ACK_DELAY: Final = 0.2
GRADIO_API: Final = "/gradio_api"
#: No single request of a scenario legitimately takes longer than this.
REQUEST_TIMEOUT: Final = 120.0
#: Bounds on the loops that follow a Gradio tab's queue.
MAX_DEFERRED_RUNS: Final = 100_000
MAX_STREAM_REOPENS: Final = 100_000


class BenchError(RuntimeError):
    """A target answered in a way the benchmark cannot use."""


async def send_json(ws: aiohttp.ClientWebSocketResponse, message: Any) -> None:
    """One JSON text frame, encoded once by orjson."""
    await ws.send_frame(orjson.dumps(message), aiohttp.WSMsgType.TEXT)


def _ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://", 1).rstrip("/") + path


class _Watchers:
    """Futures resolved when a predicate over a session's values holds."""

    def __init__(self) -> None:
        self._items: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._items.append((predicate, future))
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._items = [item for item in self._items if item[1] is not future]

    def check(self) -> None:
        for predicate, future in self._items:
            if not future.done() and predicate():
                future.set_result(None)


# -- the floor -------------------------------------------------------------------


class FloorSession:
    """One WebSocket to the echo server; one request in flight at a time."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.bytes_in = 0
        self.frames_in = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    async def open(self) -> None:
        self._ws = await self.http.ws_connect(
            _ws_url(self.base, "/ws"), autoping=True, max_msg_size=0, compress=0
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def _receive(self) -> Any:
        assert self._ws is not None
        msg = await self._ws.receive(timeout=REQUEST_TIMEOUT)
        if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            raise BenchError(f"floor socket closed: {msg.type!r}")
        self.bytes_in += len(msg.data)
        self.frames_in += 1
        return orjson.loads(msg.data)

    async def click(self, api_name: str, text: str) -> str:
        """Echo a message shaped like a click's request; return its text."""
        assert self._ws is not None
        await send_json(
            self._ws, {"type": "call", "api_name": api_name, "inputs": [text]}
        )
        reply = await self._receive()
        return str(reply["inputs"][0])

    async def stream(self, tokens: int) -> tuple[str, int]:
        """Ask for ``tokens`` frames of five bytes; return the text and updates."""
        assert self._ws is not None
        await send_json(self._ws, {"type": "stream", "n": tokens})
        parts: list[str] = []
        for _ in range(tokens + 1):
            message = await self._receive()
            if message.get("type") == "end":
                return "".join(parts), len(parts)
            parts.append(message["text"])
        raise BenchError(f"the floor sent more than {tokens} tokens")


# -- reactive_blocks --------------------------------------------------------------


def apply_rb_edits(value: Any, edits: list[Any]) -> Any:
    """Apply a reactive_blocks ``edit`` change's operations to ``value``."""
    for op, path, *argument in edits:
        if not path:
            if op == "replace":
                value = argument[0]
            elif op == "append":
                value = value + argument[0]
            elif op == "truncate":
                value = value[: argument[0]]
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if op == "replace":
            parent[last] = argument[0]
        elif op == "append":
            parent[last] = parent[last] + argument[0]
        elif op == "truncate":
            parent[last] = parent[last][: argument[0]]
        elif op == "delete":
            del parent[last]
    return value


class RBSession:
    """One reactive_blocks tab: a socket, a mirror of the values, pending runs.

    With ``reads_inline``, a request reads the frames until its ``end``
    itself, as ``FloorSession`` reads its echo: the session keeps no reader
    task, so it suits scenarios that only make requests, one at a time.
    The load generator shares the machine with the server, and a reader
    task, with a hand-off and a ``wait_for`` per request, are steps the
    floor's client does not take. Without it, a reader task follows the
    socket, for sessions that watch values or stay idle (answering the
    server's pings).
    """

    def __init__(
        self, http: aiohttp.ClientSession, base: str, *, reads_inline: bool = False
    ) -> None:
        self.http = http
        self.base = base
        self.reads_inline = reads_inline
        self.config: dict[str, Any] = {}
        self.values: dict[int, Any] = {}
        self.bytes_in = 0
        self.frames_in = 0
        self.updates: dict[int, int] = {}
        self.errors: list[dict[str, Any]] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._refs = itertools.count(1)
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._watchers = _Watchers()
        self._applied = 0
        self._confirmed = 0
        self._ack_timer: asyncio.TimerHandle | None = None
        self._acks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._ws = await self.http.ws_connect(
            _ws_url(self.base, "/ws"), autoping=True, max_msg_size=0, compress=0
        )
        await send_json(self._ws, {"type": "hello", "protocol": RB_PROTOCOL})
        msg = await self._ws.receive(timeout=REQUEST_TIMEOUT)
        if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            raise BenchError(f"no welcome from reactive_blocks: {msg.type!r}")
        frame = orjson.loads(msg.data)
        welcome = frame[0]
        if welcome.get("type") != "welcome":
            raise BenchError(f"expected welcome, got {welcome}")
        self.config = welcome["config"]
        for key, block in self.config["blocks"].items():
            if "value" in block["props"]:
                self.values[int(key)] = block["props"]["value"]
        for message in frame[1:]:
            self._handle(message)
        self._count(frame)
        if not self.reads_inline:
            self._reader = asyncio.get_running_loop().create_task(self._read())

    async def close(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        for task in list(self._acks):
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    def component(self, label: str) -> int:
        """The id of the block labelled ``label``."""
        found = [
            int(key)
            for key, block in self.config["blocks"].items()
            if block["props"].get("label") == label
        ]
        if not found:
            raise BenchError(f"no block labelled {label!r}")
        return found[0]

    async def call(self, api_name: str, inputs: list[Any]) -> list[Any]:
        """Run a listener with explicit inputs; return its outputs at ``end``."""
        ref = next(self._refs)
        end = await self._request(
            {"type": "call", "api_name": api_name, "inputs": inputs, "ref": ref}, ref
        )
        if end.get("outcome") != "done":
            raise BenchError(f"{api_name} ended {end.get('outcome')}: {end}")
        return list(end.get("outputs", []))

    async def click(self, api_name: str, text: str) -> str:
        """A button's click: one ``call``, answered by its ``end``."""
        return str((await self.call(api_name, [text]))[0])

    def listener_target(self, api_name: str) -> int:
        """The block whose event fires the listener ``api_name``."""
        for listener in self.config["listeners"]:
            if listener.get("api_name") == api_name:
                return int(listener["targets"][0][0])
        raise BenchError(f"no listener named {api_name!r}")

    async def trigger(self, block_id: int, event: str) -> dict[str, Any]:
        """Fire ``event`` as the page does; return the ``end`` of the run."""
        ref = next(self._refs)
        message = {"type": "trigger", "id": block_id, "event": event, "ref": ref}
        end = await self._request(message, ref)
        if end.get("outcome") != "done":
            raise BenchError(f"trigger of {block_id} ended {end.get('outcome')}: {end}")
        return end

    async def set(self, block_id: int, value: Any) -> None:
        """Send a user edit; the server fires the block's change listeners."""
        assert self._ws is not None
        await send_json(self._ws, {"type": "set", "id": block_id, "value": value})

    async def wait_value(self, block_id: int, value: Any, timeout: float) -> None:
        """Wait until the mirror shows ``value`` in ``block_id``."""
        await self._watchers.wait(lambda: self.values.get(block_id) == value, timeout)

    async def _request(self, message: dict[str, Any], ref: int) -> dict[str, Any]:
        assert self._ws is not None
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters[ref] = future
        try:
            await send_json(self._ws, message)
            if self._reader is not None:
                return await asyncio.wait_for(future, REQUEST_TIMEOUT)
            while not future.done():
                msg = await self._ws.receive(timeout=REQUEST_TIMEOUT)
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise BenchError(f"reactive_blocks socket closed: {msg.type!r}")
                self._take(msg.data)
            return future.result()
        finally:
            self._waiters.pop(ref, None)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    self._take(msg.data)
        finally:
            closed = BenchError("reactive_blocks socket closed")
            for future in self._waiters.values():
                if not future.done():
                    future.set_exception(closed)

    def _take(self, data: bytes) -> None:
        """Handle one received frame: count it, apply its messages."""
        self.bytes_in += len(data)
        self.frames_in += 1
        frame = orjson.loads(data)
        for message in frame:
            self._handle(message)
        self._count(frame)
        self._watchers.check()

    def _count(self, frame: list[dict[str, Any]]) -> None:
        """Count a frame's messages as applied and acknowledge them in time.

        A server not told what its client applied keeps every frame it sent
        (for a resume), and a benchmark that never acknowledged would measure
        a heap growing all run long.
        """
        self._applied += len(frame)
        if all(m.get("type") == "ack" for m in frame):
            return  # acks are not acknowledged
        if self._applied - self._confirmed >= RB_ACK_EVERY:
            self._acknowledge()
        elif self._ack_timer is None:
            loop = asyncio.get_running_loop()
            self._ack_timer = loop.call_later(RB_ACK_DELAY, self._acknowledge)

    def _acknowledge(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        if self._ws is None or self._ws.closed or self._applied == self._confirmed:
            return
        self._confirmed = self._applied
        message = {"type": "ack", "received": self._applied}
        task = asyncio.get_running_loop().create_task(send_json(self._ws, message))
        self._acks.add(task)
        task.add_done_callback(self._ack_sent)

    def _ack_sent(self, task: asyncio.Task[None]) -> None:
        self._acks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("an ack was not sent: %s", task.exception())

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "update":
            for change in message["changes"]:
                self._apply(change)
        elif kind == "end":
            future = self._waiters.get(message.get("ref", -1))
            if future is not None and not future.done():
                future.set_result(message)
        elif kind == "error":
            self.errors.append(message)
            future = self._waiters.get(message.get("ref", -1))
            if future is not None and not future.done():
                future.set_exception(BenchError(str(message)))

    def _apply(self, change: list[Any]) -> None:
        block_id, prop, value = change[0], change[1], change[2]
        if prop != "value":
            return
        mode = change[3] if len(change) == 4 else None
        if mode == "append":
            value = (self.values.get(block_id) or "") + value
        elif mode == "edit":
            value = apply_rb_edits(self.values.get(block_id), value)
        self.values[block_id] = value
        self.updates[block_id] = self.updates.get(block_id, 0) + 1


# -- Gradio -----------------------------------------------------------------------


def apply_gradio_diff(value: Any, edits: list[Any]) -> Any:
    """Apply one output's diff from a ``process_generating`` message."""
    for op, path, argument in edits:
        if not path:
            if op == "replace":
                value = argument
            elif op == "append":
                value = value + argument
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        if op == "replace":
            parent[last] = argument
        elif op == "append":
            parent[last] += argument
        elif op == "add":
            if isinstance(parent, list):
                parent.insert(last, argument)
            else:
                parent[last] = argument
        elif op == "delete":
            if isinstance(parent, list):
                parent.pop(last)
            else:
                del parent[last]
    return value


class GradioApp:
    """What a Gradio page learns from ``/config``: listeners by api_name."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.dependencies = {
            dep["api_name"]: dep
            for dep in config["dependencies"]
            if dep.get("api_name")
        }
        self.labels = {
            comp["props"].get("label"): comp["id"]
            for comp in config["components"]
            if comp.get("props", {}).get("label")
        }

    @classmethod
    async def load(cls, http: aiohttp.ClientSession, base: str) -> GradioApp:
        async with http.get(base.rstrip("/") + "/config") as response:
            response.raise_for_status()
            return cls(await response.json(loads=orjson.loads))

    def listener(self, api_name: str) -> tuple[int, int | None, str]:
        """fn_index, trigger id and trigger_mode of the listener ``api_name``."""
        dep = self.dependencies[api_name]
        targets = dep.get("targets") or [[None, None]]
        return dep["id"], targets[0][0], dep.get("trigger_mode") or "once"


class GradioEvent:
    """One submitted event: its streamed values and its completion."""

    def __init__(self) -> None:
        self.values: list[Any] | None = None
        self.generating = 0
        self.done: asyncio.Future[list[Any]] = (
            asyncio.get_running_loop().create_future()
        )


class GradioSession:
    """One Gradio tab: a session hash, its heartbeat, its queue data stream."""

    def __init__(self, http: aiohttp.ClientSession, base: str, app: GradioApp) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.app = app
        self.session_hash = secrets.token_hex(6)
        self.bytes_in = 0
        self.frames_in = 0
        self._events: dict[str, GradioEvent] = {}
        self._early: dict[str, list[dict[str, Any]]] = {}
        self._stream: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._heartbeat_open = asyncio.Event()
        self._pending_fn: dict[int, asyncio.Future[list[Any]]] = {}
        self._deferred: dict[int, list[Any]] = {}
        self._watchers = _Watchers()
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_outputs: dict[str, list[Any]] = {}

    async def open(self) -> None:
        """Open the heartbeat stream, as the page does when it loads."""
        loop = asyncio.get_running_loop()
        self._heartbeat = loop.create_task(self._read_heartbeat())
        await asyncio.wait_for(self._heartbeat_open.wait(), REQUEST_TIMEOUT)

    async def close(self) -> None:
        for task in (self._stream, self._heartbeat):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _read_heartbeat(self) -> None:
        url = f"{self.base}{GRADIO_API}/heartbeat/{self.session_hash}"
        async with self.http.get(url, timeout=aiohttp.ClientTimeout(None)) as response:
            response.raise_for_status()
            self._heartbeat_open.set()
            async for line in response.content:
                self.bytes_in += len(line)

    async def click(self, api_name: str, text: str) -> str:
        """A button's click through the queue; returns the output text."""
        return str((await self.submit(api_name, [text]))[0])

    async def submit(self, api_name: str, data: list[Any]) -> list[Any]:
        """Join the queue and wait for ``process_completed``; return outputs."""
        event = await self.submit_event(api_name, data)
        return await event.done

    async def submit_event(self, api_name: str, data: list[Any]) -> GradioEvent:
        """Join the queue and wait for completion; return the whole event."""
        fn_index, trigger_id, _ = self.app.listener(api_name)
        event_id = await self._join(fn_index, trigger_id, data)
        event = self._events[event_id]
        outputs = await asyncio.wait_for(asyncio.shield(event.done), REQUEST_TIMEOUT)
        self.last_outputs[api_name] = outputs
        return event

    async def change(self, api_name: str, data: list[Any]) -> None:
        """A user edit firing a listener, with the page's trigger modes.

        While a run of the listener is pending, ``always_last`` keeps only the
        newest data for after it and ``once`` drops the edit, as Gradio's page
        does; the server itself runs whatever joins.
        """
        fn_index, _, mode = self.app.listener(api_name)
        if fn_index in self._pending_fn:
            if mode == "always_last":
                self._deferred[fn_index] = data
            if mode != "multiple":
                return
        task = asyncio.get_running_loop().create_task(self._run(api_name, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_output(
        self, api_name: str, index: int, value: Any, timeout: float
    ) -> None:
        """Wait until the newest completed run of ``api_name`` output ``value``."""

        def holds() -> bool:
            outputs = self.last_outputs.get(api_name)
            return outputs is not None and outputs[index] == value

        await self._watchers.wait(holds, timeout)

    async def _run(self, api_name: str, data: list[Any]) -> None:
        fn_index = self.app.listener(api_name)[0]
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending_fn[fn_index] = future
        try:
            # Each pass runs the newest deferred data; a pass can only be
            # deferred by an edit, so the count of edits bounds the passes.
            for _ in range(MAX_DEFERRED_RUNS):
                await self.submit(api_name, data)
                self._watchers.check()
                if fn_index not in self._deferred:
                    break
                data = self._deferred.pop(fn_index)
        finally:
            del self._pending_fn[fn_index]
            if not future.done():
                future.set_result([])

    async def _join(
        self, fn_index: int, trigger_id: int | None, data: list[Any]
    ) -> str:
        body = {
            "data": data,
            "event_data": None,
            "fn_index": fn_index,
            "trigger_id": trigger_id,
            "session_hash": self.session_hash,
        }
        async with self.http.post(
            f"{self.base}{GRADIO_API}/queue/join",
            data=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
        ) as response:
            raw = await response.read()
            self.bytes_in += len(raw)
            if response.status != 200:
                raise BenchError(
                    f"queue/join answered {response.status}: {raw[:200]!r}"
                )
        event_id = orjson.loads(raw)["event_id"]
        event = self._events.setdefault(event_id, GradioEvent())
        for message in self._early.pop(event_id, []):
            self._dispatch(event_id, event, message)
        if self._stream is None or self._stream.done():
            self._stream = asyncio.get_running_loop().create_task(self._read_stream())
        return str(event_id)

    def _open_events(self) -> bool:
        return any(not event.done.done() for event in self._events.values())

    async def _read_stream(self) -> None:
        """Read the data stream; reopen it while events are still pending."""
        url = f"{self.base}{GRADIO_API}/queue/data"
        params = {"session_hash": self.session_hash}
        try:
            for _ in range(MAX_STREAM_REOPENS):
                async with self.http.get(
                    url, params=params, timeout=aiohttp.ClientTimeout(None)
                ) as response:
                    if response.status != 200:
                        raise BenchError(f"queue/data answered {response.status}")
                    await self._read_sse(response)
                if not self._open_events():
                    return
        except Exception as exc:
            for event in self._events.values():
                if not event.done.done():
                    event.done.set_exception(exc)
            raise

    async def _read_sse(self, response: aiohttp.ClientResponse) -> None:
        async for line in response.content:
            self.bytes_in += len(line)
            if not line.startswith(b"data:"):
                continue
            self.frames_in += 1
            message = orjson.loads(line[5:])
            kind = message.get("msg")
            if kind == "close_stream":
                return
            event_id = message.get("event_id")
            if kind == "unexpected_error":
                raise BenchError(f"gradio unexpected_error: {message}")
            if event_id is None:
                continue
            event = self._events.get(event_id)
            if event is None:
                self._early.setdefault(event_id, []).append(message)
                continue
            self._dispatch(event_id, event, message)

    def _dispatch(
        self, event_id: str, event: GradioEvent, message: dict[str, Any]
    ) -> None:
        kind = message.get("msg")
        if kind == "process_generating":
            data = message["output"].get("data", [])
            if event.values is None:
                event.values = list(data)
            else:
                event.values = [
                    apply_gradio_diff(value, edits)
                    for value, edits in zip(event.values, data, strict=False)
                ]
            event.generating += 1
        elif kind == "process_completed":
            if message.get("success"):
                event.done.set_result(list(message["output"].get("data", [])))
            else:
                event.done.set_exception(BenchError(f"gradio event failed: {message}"))
            self._events.pop(event_id, None)


Session = FloorSession | RBSession | GradioSession


async def open_session(
    kind: str,
    http: aiohttp.ClientSession,
    base: str,
    gradio_app: GradioApp | None = None,
    *,
    requests_only: bool = False,
) -> Session:
    """Open one session of target ``kind`` ("floor", "reactive_blocks", "gradio").

    ``requests_only`` says the session will only make requests, one at a
    time: a reactive_blocks session then reads each reply inline.
    """
    session: Session
    if kind == "floor":
        session = FloorSession(http, base)
    elif kind == "reactive_blocks":
        session = RBSession(http, base, reads_inline=requests_only)
    elif kind == "gradio":
        if gradio_app is None:
            raise ValueError("a Gradio session needs the app's config")
        session = GradioSession(http, base, gradio_app)
    else:
        raise ValueError(f"unknown target kind {kind!r}")
    await session.open()
    return session
