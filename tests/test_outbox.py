"""The outbox: one frame per tick, appends, collapsing, terminal-message order."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import pytest

from reactive_blocks.protocol import decode_frame
from reactive_blocks.session import Outbox, _outbox

TIMEOUT: Final = 10.0

RUNNING = {"type": "event", "event": 1, "listener": 0, "stage": "running"}
END = {"type": "end", "event": 1, "outcome": "done"}
END_2 = {"type": "end", "event": 2, "outcome": "done"}


class Wire:
    """A socket stand-in that records each frame the outbox sends.

    While ``gate`` is clear, it is not writable and ``send`` does not
    return: a slow client.
    """

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.gate = asyncio.Event()
        self.gate.set()

    @property
    def writable(self) -> bool:
        return self.gate.is_set()

    def write(self, data: bytes, binary: bool) -> None:
        self.frames.append(decode_frame(data, binary))

    async def send(self, data: bytes, binary: bool) -> None:
        self.write(data, binary)
        await self.gate.wait()

    async def wait_for_frames(self, count: int) -> None:
        async def arrived() -> None:
            while len(self.frames) < count:
                await asyncio.sleep(0.001)

        await asyncio.wait_for(arrived(), TIMEOUT)


def _update(*changes: list[Any]) -> dict[str, Any]:
    return {"type": "update", "changes": list(changes)}


async def test_changes_and_messages_of_one_tick_leave_as_one_frame() -> None:
    """Messages and changes put in one tick go out together in one frame, in order."""
    wire = Wire()
    outbox = Outbox(wire)

    outbox.put(RUNNING)
    outbox.change(4, "value", "Hello", "")
    outbox.change(5, "visible", False, True)
    outbox.put(END)
    await outbox.close(flush=True)

    assert wire.frames == [
        [RUNNING, _update([4, "value", "Hello"], [5, "visible", False]), END]
    ]


async def test_appends_to_a_growing_string_merge_and_travel_as_appends() -> None:
    """A string that grows is sent as its new text only, merged while waiting."""
    wire = Wire()
    outbox = Outbox(wire)

    outbox.change(4, "value", "Hello", "Hel")
    outbox.change(4, "value", "Hello wor", "Hello")
    await wire.wait_for_frames(1)
    outbox.change(4, "value", "Hello world", "Hello wor")
    await outbox.close(flush=True)

    assert wire.frames == [
        [_update([4, "value", "lo wor", "append"])],
        [_update([4, "value", "ld", "append"])],
    ]


@pytest.mark.parametrize(
    ("steps", "sent"),
    [
        pytest.param([("x", "w"), ("y", "x")], [4, "value", "y"], id="set-after-set"),
        pytest.param(
            [("ab", "a"), ("zz", "ab")], [4, "value", "zz"], id="set-after-append"
        ),
        pytest.param(
            [("new", "old"), ("newer", "new")],
            [4, "value", "newer"],
            id="append-after-set",
        ),
    ],
)
async def test_newer_value_replaces_the_waiting_one(
    steps: list[tuple[str, str]], sent: list[Any]
) -> None:
    """Of several values of one property in one frame, only the newest is sent."""
    wire = Wire()
    outbox = Outbox(wire)

    for value, previous in steps:
        outbox.change(4, "value", value, previous)
    await outbox.close(flush=True)

    assert wire.frames == [[_update(sent)]]


async def test_terminal_messages_follow_the_changes_of_their_events() -> None:
    """An end put after changes leaves after the update that carries them."""
    wire = Wire()
    outbox = Outbox(wire)

    outbox.put(END)
    outbox.change(4, "value", "b", "a")
    outbox.put(END_2)
    outbox.change(6, "value", 3, 2)
    await outbox.close(flush=True)

    assert wire.frames == [
        [END, _update([4, "value", "b"], [6, "value", 3]), END_2],
    ]


async def test_slow_socket_keeps_one_pending_change_and_sends_the_last() -> None:
    """While send is blocked, 1,000 updates of one property wait as one change."""
    wire = Wire()
    outbox = Outbox(wire)
    wire.gate.clear()

    outbox.change(4, "value", 0, None)
    await wire.wait_for_frames(1)
    for value in range(1, 1001):
        outbox.change(4, "value", value, value - 1)

    assert outbox.pending() == 1
    wire.gate.set()
    await outbox.close(flush=True)
    assert wire.frames == [
        [_update([4, "value", 0])],
        [_update([4, "value", 1000])],
    ]


async def test_a_value_the_wire_cannot_carry_is_dropped_with_an_error() -> None:
    """An unencodable value is left out with an error message; the rest still goes."""
    wire = Wire()
    outbox = Outbox(wire)

    outbox.change(4, "value", object(), "")
    outbox.change(5, "value", "fine", "")
    outbox.put(END)
    await outbox.close(flush=True)

    (frame,) = wire.frames
    error, update, end = frame
    assert error["type"] == "error"
    assert error["code"] == "internal"
    assert error["message"].startswith("the server could not send block 4 'value': ")
    assert update == _update([5, "value", "fine"])
    assert end == END


async def test_a_status_waits_its_whole_gap_though_an_earlier_one_armed_the_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A status put after an earlier event ended leaves STATUS_GAP after its own put."""
    gap = 0.3
    monkeypatch.setattr(_outbox, "STATUS_GAP", gap)
    loop = asyncio.get_running_loop()
    wire = Wire()
    outbox = Outbox(wire)

    outbox.put_status(1, RUNNING)
    await asyncio.sleep(gap / 3)
    outbox.put(END, ends=1)
    await wire.wait_for_frames(1)
    await asyncio.sleep(gap / 3)
    second = {**RUNNING, "event": 2}
    put_at = loop.time()
    outbox.put_status(2, second)
    await wire.wait_for_frames(2)
    waited = loop.time() - put_at

    assert wire.frames == [[END], [second]]
    assert waited >= gap - _outbox.TIMER_SLACK


async def test_an_end_whose_outputs_cannot_be_sent_still_ends_its_run() -> None:
    """The end keeps its event and ref, now an error: its caller stops waiting."""
    wire = Wire()
    outbox = Outbox(wire)

    outbox.put({**END, "ref": 7, "outputs": [object()]}, ends=1)
    await outbox.close(flush=True)

    (frame,) = wire.frames
    (end,) = frame
    message = end.pop("message")
    assert end == {"type": "end", "event": 1, "outcome": "error", "ref": 7}
    assert message.startswith("the server could not send the outputs: ")


async def test_a_message_put_after_statuses_follows_the_held_ones() -> None:
    """put_after_statuses (a pong) leaves behind each status put before it."""
    wire = Wire()
    outbox = Outbox(wire)
    second = {**RUNNING, "event": 2}
    pong = {"type": "pong", "ref": 3}

    toast = {"type": "toast", "event": 1, "level": "info", "message": "hi"}

    outbox.put_status(1, RUNNING)
    outbox.put(toast)
    outbox.put_status(2, second)
    outbox.put_after_statuses(pong)
    await wire.wait_for_frames(1)

    assert wire.frames == [[toast, RUNNING, second, pong]]


async def test_a_toast_follows_its_own_events_held_status_only() -> None:
    """put_after_statuses(of=event) sends that event's status first, holds the rest."""
    wire = Wire()
    outbox = Outbox(wire)
    second = {**RUNNING, "event": 2}
    toast = {"type": "toast", "event": 2, "level": "info", "message": "hi"}

    outbox.put_status(1, RUNNING)
    outbox.put_status(2, second)
    outbox.put_after_statuses(toast, of=2)
    outbox.put(END, ends=1)
    await wire.wait_for_frames(1)

    assert wire.frames == [[second, toast, END]]


async def test_after_a_value_the_client_never_got_the_next_one_goes_whole() -> None:
    """Edits against a refused value would not apply: the next value is sent whole."""
    wire = Wire()
    outbox = Outbox(wire)
    refused = [object(), 2]

    outbox.change(4, "value", [1, 2, 3], None)
    await wire.wait_for_frames(1)
    outbox.change(4, "value", refused, [1, 2, 3])
    await wire.wait_for_frames(2)
    outbox.change(4, "value", [1, 2, 4], refused)
    await wire.wait_for_frames(3)
    outbox.change(4, "value", [1, 2, 5], [1, 2, 4])
    await wire.wait_for_frames(4)

    [error] = wire.frames[1]
    assert error["message"].startswith("the server could not send block 4 'value': ")
    assert wire.frames[2] == [_update([4, "value", [1, 2, 4]])]
    assert wire.frames[3] == [_update([4, "value", [["replace", [2], 5]], "edit"])]
