"""Sessions against real servers: propagation, errors, lifecycle, execution."""

from __future__ import annotations

import asyncio
import io
import logging
import queue
import re
import struct
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import orjson
import PIL.Image
import pytest
from waiting import wait_event, wait_until

import reactive_blocks as gr
from reactive_blocks.session import MAX_WAVES
from reactive_blocks.session import _session as session_module

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, Sockets

TIMEOUT: Final = 10.0
GENERIC_ERROR: Final = "Error in the app's function (the server log has details)."


def greeter() -> gr.Blocks:
    """Name, Out and a button whose listener 'greet' writes a greeting."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        button = gr.Button("Greet")

        def greet(text: str) -> str:
            return f"Hello {text}!"

        button.click(greet, name, out)
    return demo


async def assert_greets(client: gr.AsyncClient) -> None:
    """The session still runs listeners: 'greet' answers exactly."""
    assert await client.predict("Ada", api_name="greet") == "Hello Ada!"


# -- values and propagation ----------------------------------------------------


async def test_predict_returns_the_output_and_updates_the_mirror(
    launch: Apps,
) -> None:
    """predict returns the function's exact string and the mirror holds it too."""
    async with gr.AsyncClient(launch(greeter())) as client:
        result = await client.predict("Abubakar", api_name="greet")

        assert result == "Hello Abubakar!"
        assert client.values[client.component(label="Out")] == "Hello Abubakar!"


async def test_set_fires_change_whose_output_reaches_the_mirror(launch: Apps) -> None:
    """A user's set fires the textbox's change listener; its output is mirrored."""
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        shout = gr.Textbox(label="Shout")
        source.change(lambda text: text.upper(), source, shout)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(source.id, "quiet please")
        await client.settle()

        assert client.values[shout.id] == "QUIET PLEASE"


async def test_returning_the_current_value_fires_no_change(launch: Apps) -> None:
    """An output set to its current value is no change and fires nothing downstream."""
    downstream: list[str] = []
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        fixed = gr.Textbox(label="Fixed")
        source.change(lambda _: "fixed", source, fixed)
        fixed.change(downstream.append, fixed, None)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(source.id, "first")
        await client.settle()
        assert downstream == ["fixed"]

        await client.set(source.id, "second")
        await client.settle()
        assert downstream == ["fixed"]
        assert client.values[fixed.id] == "fixed"


async def test_a_wave_of_two_outputs_is_seen_whole_and_once(launch: Apps) -> None:
    """Listeners of a two-output wave run once each and see both new values."""
    seen: dict[str, list[tuple[str, str]]] = {"left": [], "right": []}
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        left = gr.Textbox(label="Left")
        right = gr.Textbox(label="Right")
        source.change(lambda t: (f"{t}-L", f"{t}-R"), source, [left, right])

        def on_left(a: str, b: str) -> None:
            seen["left"].append((a, b))

        def on_right(a: str, b: str) -> None:
            seen["right"].append((a, b))

        left.change(on_left, [left, right], None)
        right.change(on_right, [left, right], None)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(source.id, "x")
        await client.settle()

    assert seen == {"left": [("x-L", "x-R")], "right": [("x-L", "x-R")]}


async def test_input_fires_for_user_edits_only(launch: Apps) -> None:
    """.input fires on a user's set but not when a listener writes the value."""
    calls: dict[str, list[str]] = {"source.input": [], "echo.input": []}
    echo_changes: list[str] = []
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        echo = gr.Textbox(label="Echo")
        source.change(lambda t: t.upper(), source, echo)
        source.input(calls["source.input"].append, source, None)
        echo.input(calls["echo.input"].append, echo, None)
        echo.change(echo_changes.append, echo, None)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(source.id, "typed")
        await client.settle()

    assert calls == {"source.input": ["typed"], "echo.input": []}
    assert echo_changes == ["TYPED"]


async def test_change_loop_stops_with_an_error_naming_both(launch: Apps) -> None:
    """Two textboxes changing each other stop after MAX_WAVES with propagation_loop."""
    runs: list[int] = []
    with gr.Blocks() as demo:
        a = gr.Textbox(label="A")
        b = gr.Textbox(label="B")

        def bump(_: str) -> str:
            runs.append(len(runs))
            return f"value {len(runs)}"

        a.change(bump, a, b)
        b.change(bump, b, a)
        gr.Button("Greet").click(lambda: "still here", None, b, api_name="greet")

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(a.id, "start")
        await client.settle()

        assert len(runs) == MAX_WAVES + 1
        assert client.errors == [
            {
                "type": "error",
                "code": "propagation_loop",
                "message": (
                    f"change propagation did not settle after {MAX_WAVES} waves: "
                    "Textbox 'A', Textbox 'B' keep changing each other; stop the "
                    "loop by returning the current value when nothing needs to "
                    "change"
                ),
            }
        ]
        assert await client.predict(api_name="greet") == "still here"


# -- errors of listener functions -----------------------------------------------


def failing_app() -> gr.Blocks:
    """Listeners 'boom' (raises ValueError), 'refuse' (gr.Error), and 'greet'."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        button = gr.Button()

        def boom(text: str) -> str:
            raise ValueError(f"cannot use {text!r}")

        def refuse(text: str) -> str:
            raise gr.Error(f"No {text} allowed")

        def greet(text: str) -> str:
            return f"Hello {text}!"

        button.click(boom, name, out)
        button.click(refuse, name, out)
        button.click(greet, name, out)
    return demo


def scheduler_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "reactive_blocks.scheduler" and r.levelno == logging.ERROR
    ]


@pytest.mark.parametrize(
    ("show_error", "shown"),
    [
        pytest.param(False, GENERIC_ERROR, id="hidden"),
        pytest.param(True, "ValueError: cannot use 'x'", id="shown"),
    ],
)
async def test_raising_function_ends_in_error_and_is_logged_once(
    launch: Apps, caplog: pytest.LogCaptureFixture, show_error: bool, shown: str
) -> None:
    """A raising function ends with outcome error, its text shown only on request."""
    caplog.set_level(logging.ERROR, logger="reactive_blocks.scheduler")

    async with gr.AsyncClient(launch(failing_app(), show_error=show_error)) as client:
        with pytest.raises(gr.EventError) as caught:
            await client.predict("x", api_name="boom")

        assert caught.value.outcome == "error"
        assert str(caught.value) == f"error: {shown}"
        [record] = scheduler_errors(caplog)
        assert record.getMessage() == "listener 'boom' raised"
        assert record.exc_info is not None
        assert record.exc_info[0] is ValueError
        await assert_greets(client)


async def test_gr_error_message_is_always_shown(
    launch: Apps, caplog: pytest.LogCaptureFixture
) -> None:
    """A gr.Error's message reaches the client even without show_error."""
    caplog.set_level(logging.ERROR, logger="reactive_blocks.scheduler")

    async with gr.AsyncClient(launch(failing_app())) as client:
        with pytest.raises(gr.EventError) as caught:
            await client.predict("cats", api_name="refuse")

        assert caught.value.outcome == "error"
        assert str(caught.value) == "error: No cats allowed"
        assert scheduler_errors(caplog) == []
        await assert_greets(client)


async def test_wrong_output_count_is_an_error_naming_the_listener(
    launch: Apps,
) -> None:
    """Returning three values for two outputs ends in an error naming the listener."""
    with gr.Blocks() as demo:
        left = gr.Textbox()
        right = gr.Textbox()
        gr.Button().click(lambda: (1, 2, 3), None, [left, right], api_name="pair")

    async with gr.AsyncClient(launch(demo, show_error=True)) as client:
        with pytest.raises(gr.EventError) as caught:
            await client.predict(api_name="pair")

    assert caught.value.outcome == "error"
    assert str(caught.value) == (
        "error: OutputError: listener 'pair' returned 3 values for 2 outputs; "
        "return a tuple of 2 or a dict keyed by component"
    )


async def test_a_slider_refuses_a_returned_word_and_keeps_its_number(
    launch: Apps,
) -> None:
    """A word for a Slider is an error, not a value the page shows as 0.

    The page showed 0 while the session held the word, and the next listener
    read the word.
    """
    with gr.Blocks() as demo:
        speed = gr.Slider(0, 10, value=4, label="Speed")
        shown = gr.Textbox(label="Shown")
        gr.Button().click(lambda: "fast", None, speed, api_name="word")
        gr.Button().click(lambda: np.int64(7), None, speed, api_name="seven")
        show = gr.Button()
        show.click(lambda s: f"{type(s).__name__} {s}", speed, shown)

    async with gr.AsyncClient(launch(demo, show_error=True)) as client:
        with pytest.raises(gr.EventError) as caught:
            await client.predict(api_name="word")
        await client.trigger(show.id, "click")
        await client.settle()
        kept = client.values[shown.id]
        await client.predict(api_name="seven")
        await client.trigger(show.id, "click")
        await client.settle()
        seven = client.values[shown.id]

    assert str(caught.value) == (
        "error: OutputError: listener 'word': Slider 'Speed' needs a number, got 'fast'"
    )
    assert (kept, seven) == ("int 4", "int 7")


async def test_an_update_to_visible_hidden_hides_and_a_bad_one_is_an_error(
    launch: Apps,
) -> None:
    """gr.update(visible="hidden") reaches the page as False; "no" is refused."""
    with gr.Blocks() as demo:
        box = gr.Textbox(label="Box")
        gr.Button().click(
            lambda: gr.update(visible="hidden"), None, box, api_name="hide"
        )
        gr.Button().click(lambda: gr.update(visible="no"), None, box, api_name="bad")

    async with gr.AsyncClient(launch(demo, show_error=True)) as client:
        await client.predict(api_name="hide")
        await client.settle()
        hidden = client.props[box.id]["visible"]
        with pytest.raises(gr.EventError) as caught:
            await client.predict(api_name="bad")

    assert hidden is False
    assert str(caught.value) == (
        "error: OutputError: listener 'bad': Textbox 'Box' visible='no' is not "
        "True, False or 'hidden'"
    )


# -- malformed messages over a raw socket -----------------------------------------


def checked_app() -> gr.Blocks:
    """Name (editable), Out (output only), Speed (0 to 10), and listener 'greet'."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        speed = gr.Slider(0, 10, label="Speed")

        def greet(text: str, pace: float) -> str:
            return f"Hello {text} at {pace}!"

        gr.Button(label="Greet").click(greet, [name, speed], out)
    return demo


BadMessage = Callable[[dict[str, int]], "Message | str | bytes"]


def binary_frame(header: object, payload: bytes = b"") -> bytes:
    """A binary frame with this JSON header, then ``payload``."""
    text = orjson.dumps(header)
    return struct.pack(">I", len(text)) + text + payload


HEADER_SHAPE: Final = (
    'binary frame header must be an object {"parts": [[size, mime], ...], '
    '"body": message}'
)

MALFORMED: Final[list[Any]] = [
    pytest.param(
        lambda ids: "{not json",
        "bad_message",
        None,
        id="not-json",
    ),
    pytest.param(
        lambda ids: "[1, 2]",
        "bad_message",
        "a message must be a JSON object",
        id="not-an-object",
    ),
    pytest.param(
        lambda ids: {"type": "dance", "ref": 7},
        "bad_message",
        "unknown message type 'dance'",
        id="unknown-type",
    ),
    pytest.param(
        lambda ids: {"type": "set", "id": str(ids["Name"]), "value": "x", "ref": 7},
        "bad_message",
        "'set' needs an integer 'id'",
        id="string-id",
    ),
    pytest.param(
        lambda ids: {"type": "set", "id": 999, "value": "x", "ref": 7},
        "unknown_component",
        "no component with id 999",
        id="unknown-component",
    ),
    pytest.param(
        lambda ids: {"type": "set", "id": ids["Speed"], "value": 50, "ref": 7},
        "bad_value",
        "Slider 'Speed' takes values from 0 to 10, got 50",
        id="slider-out-of-range",
    ),
    pytest.param(
        lambda ids: {"type": "set", "id": ids["Out"], "value": "x", "ref": 7},
        "not_interactive",
        "Textbox 'Out' is not editable",
        id="set-on-output",
    ),
    pytest.param(
        lambda ids: {"type": "call", "api_name": "nope", "inputs": [], "ref": 7},
        "unknown_listener",
        "no listener with api_name 'nope'",
        id="unknown-api-name",
    ),
    pytest.param(
        lambda ids: binary_frame({"parts": 5, "body": {"type": "ping", "ref": 7}}),
        "bad_message",
        HEADER_SHAPE,
        id="binary-parts-int",
    ),
    pytest.param(
        lambda ids: binary_frame({"parts": None, "body": {"type": "ping"}}),
        "bad_message",
        HEADER_SHAPE,
        id="binary-parts-null",
    ),
    pytest.param(
        lambda ids: binary_frame({"parts": [[1, "text/plain"]]}, b"x"),
        "bad_message",
        HEADER_SHAPE,
        id="binary-without-body",
    ),
    pytest.param(
        lambda ids: binary_frame(
            {"parts": [[1, "text/plain"]], "body": {"type": "ping"}}, b"xyz"
        ),
        "bad_message",
        "binary frame: its parts add up to 1 bytes but 3 follow the header",
        id="binary-bytes-left-over",
    ),
    pytest.param(
        lambda ids: {"type": "ack", "received": -1, "ref": 7},
        "bad_message",
        "'ack' needs 'received', the count of server messages applied: a whole "
        "number from 0 to 1, the messages sent so far; got -1",
        id="ack-negative",
    ),
    pytest.param(
        lambda ids: {"type": "ack", "received": 10**12, "ref": 7},
        "bad_message",
        "'ack' needs 'received', the count of server messages applied: a whole "
        "number from 0 to 1, the messages sent so far; got 1000000000000",
        id="ack-beyond-sent",
    ),
    pytest.param(
        lambda ids: {"type": "ack", "received": True, "ref": 7},
        "bad_message",
        "'ack' needs 'received', the count of server messages applied: a whole "
        "number from 0 to 1, the messages sent so far; got True",
        id="ack-bool",
    ),
    pytest.param(
        lambda ids: {"type": "call", "listener": False, "inputs": ["x", 1], "ref": 7},
        "bad_message",
        "'call' needs a string 'api_name' or an integer 'listener', got False",
        id="call-listener-bool",
    ),
    pytest.param(
        lambda ids: {"type": "call", "listener": True, "inputs": [], "ref": 7},
        "bad_message",
        "'call' needs a string 'api_name' or an integer 'listener', got True",
        id="call-listener-true",
    ),
    pytest.param(
        lambda ids: {"type": "set", "id": True, "value": "x", "ref": 7},
        "bad_message",
        "'set' needs an integer 'id'",
        id="set-id-bool",
    ),
    pytest.param(
        lambda ids: {
            "type": "trigger",
            "id": ids["Greet"],
            "event": "click",
            "skip": [True],
            "ref": 7,
        },
        "bad_message",
        "'skip' must be a list of listener ids",
        id="skip-bool",
    ),
    pytest.param(
        lambda ids: {"type": "trigger", "id": ids["Greet"], "event": "hover", "ref": 7},
        "unknown_event",
        "no listener of Button 'Greet' fires on 'hover'; triggers it takes: 'click'",
        id="trigger-unknown-event",
    ),
    pytest.param(
        lambda ids: {"type": "trigger", "id": ids["Name"], "event": "submit", "ref": 7},
        "unknown_event",
        "no listener of Textbox 'Name' fires on 'submit'; it takes no triggers",
        id="trigger-event-without-listener",
    ),
]


@pytest.mark.parametrize(("build", "code", "text"), MALFORMED)
async def test_malformed_message_gets_an_error_and_the_session_carries_on(
    launch: Apps, sockets: Sockets, build: BadMessage, code: str, text: str | None
) -> None:
    """Each unusable message gets one error with its code; the session carries on."""
    sock, _ = await sockets.open(launch(checked_app()))
    ids = {label: sock.component(label) for label in ("Name", "Out", "Speed", "Greet")}
    message = build(ids)

    await sock.send(message)
    [error] = await sock.ping()

    assert error["type"] == "error"
    assert error["code"] == code
    if text is None:
        assert error["message"].startswith("frame is not valid JSON: ")
    else:
        assert error["message"] == text
    # The error names the message whenever its ref can be read, even from a
    # binary frame whose header is refused.
    named = isinstance(message, dict) or (
        isinstance(message, bytes) and b'"ref":7' in message
    )
    assert error.get("ref") == (7 if named else None)

    await sock.send({"type": "set", "id": ids["Name"], "value": "Ada"})
    await sock.send({"type": "trigger", "id": ids["Greet"], "event": "click"})
    received = await sock.receive_until(lambda m: m["type"] == "end")
    assert [m for m in received if m["type"] != "event"] == [
        {"type": "update", "changes": [[ids["Out"], "value", "Hello Ada at 0!"]]},
        {"type": "end", "event": 1, "listener": 0, "outcome": "done"},
    ]


async def test_a_flood_of_bad_messages_is_answered_each_but_logged_once_a_second(
    launch: Apps, sockets: Sockets, caplog: pytest.LogCaptureFixture
) -> None:
    """Every refusal gets its error; the log gets a line a second, with a count."""
    caplog.set_level(logging.WARNING, logger="reactive_blocks.session")
    sock, _ = await sockets.open(launch(checked_app()))

    for n in range(50):
        await sock.send({"type": "hover", "ref": n})
    errors = await sock.ping()
    time.sleep(session_module.REFUSAL_LOG_GAP)
    await sock.send({"type": "hover", "ref": 50})
    errors += await sock.ping()

    assert [(e["code"], e["ref"]) for e in errors if e["type"] == "error"] == [
        ("bad_message", n) for n in range(51)
    ]
    lines = [
        re.sub(r"^session \S+: ", "", r.getMessage())
        for r in caplog.records
        if "hover" in r.getMessage()
    ]
    assert lines == [
        "bad_message: unknown message type 'hover'",
        "bad_message: unknown message type 'hover' "
        "(49 more refused since the last line)",
    ]


async def test_a_binary_frame_refused_while_decoding_keeps_its_ref(
    launch: Apps, sockets: Sockets
) -> None:
    """An upload naming a part its frame lacks is refused with the upload's ref."""
    sock, _ = await sockets.open(launch(checked_app()))
    header = orjson.dumps(
        {
            "parts": [[1, "image/png"]],
            "body": {"type": "set", "id": 1, "value": {"$bin": 1}, "ref": 9},
        }
    )

    await sock.send(struct.pack(">I", len(header)) + header + b"x")
    [error] = await sock.ping()

    assert error == {
        "type": "error",
        "code": "bad_message",
        "message": "no binary part 1 in frame",
        "ref": 9,
    }


async def test_first_message_other_than_hello_is_refused(
    launch: Apps, sockets: Sockets
) -> None:
    """A socket whose first message is not hello gets bad_message and is closed."""
    sock = await sockets.connect(launch(greeter()))

    await sock.send({"type": "ping", "ref": 1})

    assert await sock.receive() == [
        {
            "type": "error",
            "code": "bad_message",
            "message": "the first message must be 'hello'",
        }
    ]
    await asyncio.wait_for(sock.connection.wait_closed(), TIMEOUT)


@pytest.mark.parametrize(
    ("version", "shown"), [(2, "2"), (1.0, "1.0"), ("1", "'1'"), (True, "True")]
)
async def test_wrong_protocol_version_is_a_protocol_mismatch(
    launch: Apps, sockets: Sockets, version: Any, shown: str
) -> None:
    """A hello with another protocol version, or 1 not as an integer, is refused."""
    sock = await sockets.connect(launch(greeter()))

    error = await sock.hello(protocol=version)

    assert error == {
        "type": "error",
        "code": "protocol_mismatch",
        "message": f"server speaks protocol 1, client sent {shown}; reload the page",
    }
    await asyncio.wait_for(sock.connection.wait_closed(), TIMEOUT)


# -- sessions ------------------------------------------------------------------------


async def test_two_sessions_never_see_each_others_values(launch: Apps) -> None:
    """Values set and computed in one session stay out of another's."""
    with gr.Blocks() as demo:
        source = gr.Textbox(label="Source")
        shout = gr.Textbox(label="Shout")
        copy = gr.Textbox(label="Copy")
        button = gr.Button()
        source.change(lambda t: t.upper(), source, shout)
        button.click(lambda t: f"copy of {t}", source, copy)

    url = launch(demo)
    async with gr.AsyncClient(url) as one, gr.AsyncClient(url) as two:
        await one.set(source.id, "one")
        await two.set(source.id, "two")
        await one.trigger(button.id, "click")
        await one.settle()
        await two.settle()

        assert (one.values[shout.id], one.values[copy.id]) == ("ONE", "copy of one")
        assert (two.values[shout.id], two.values[copy.id]) == ("TWO", "")

        await two.trigger(button.id, "click")
        await two.settle()
        assert two.values[copy.id] == "copy of two"
        assert one.values[copy.id] == "copy of one"


async def test_load_runs_once_per_session_before_it_settles(launch: Apps) -> None:
    """Each new session runs load once; its output is mirrored by the first settle."""
    loads: list[int] = []
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")

        def loaded() -> str:
            # Slower than a ping's round trip, so settle must wait for the run.
            time.sleep(0.2)
            loads.append(len(loads))
            return f"load {len(loads)}"

        demo.load(loaded, None, out)

    url = launch(demo)
    async with gr.AsyncClient(url) as one:
        await one.settle()
        assert one.values[out.id] == "load 1"

        async with gr.AsyncClient(url) as two:
            await two.settle()
            assert two.values[out.id] == "load 2"
            assert one.values[out.id] == "load 1"
            assert loads == [0, 1]


# -- unload ----------------------------------------------------------------------------


def unload_app(unloads: list[str]) -> gr.Blocks:
    """An app whose unload listener records each call."""
    with gr.Blocks() as demo:
        gr.Textbox(label="Out")
        demo.unload(lambda: unloads.append("unload"))
    return demo


async def close_app(demo: gr.Blocks) -> None:
    """Stop the server from a thread, as closing blocks until sessions end."""
    await asyncio.to_thread(demo.close)


async def test_unload_fires_once_after_a_clean_close(launch: Apps) -> None:
    """Closing the socket cleanly runs unload exactly once."""
    unloads: list[str] = []
    demo = unload_app(unloads)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.settle()
        assert unloads == []

    await wait_until(lambda: unloads == ["unload"])
    await close_app(demo)
    assert unloads == ["unload"]


@pytest.mark.parametrize("grace", [0, 0.2], ids=["no-grace", "after-grace"])
async def test_unload_fires_once_after_an_abrupt_disconnect(
    launch: Apps, sockets: Sockets, grace: float
) -> None:
    """A connection dropped without a close frame unloads once, after any grace."""
    unloads: list[str] = []
    demo = unload_app(unloads)
    sock, _ = await sockets.open(launch(demo, reconnect_grace=grace))
    await sock.ping()

    sock.abort()

    await wait_until(lambda: unloads == ["unload"])
    await close_app(demo)
    assert unloads == ["unload"]


@pytest.mark.parametrize("abrupt", [False, True], ids=["clean", "abrupt"])
async def test_unload_fires_once_when_closing_during_a_sync_function(
    launch: Apps, sockets: Sockets, abrupt: bool
) -> None:
    """A socket closing while a sync function runs ends the session with one unload."""
    unloads: list[str] = []
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        demo.unload(lambda: unloads.append("unload"))

        def hold() -> str:
            started.set()
            release.wait(TIMEOUT)
            finished.set()
            return "done"

        gr.Button().click(hold, None, out)

    sock, _ = await sockets.open(launch(demo, reconnect_grace=0))
    await sock.send({"type": "call", "api_name": "hold", "inputs": []})
    await wait_event(started)
    if abrupt:
        sock.abort()
    else:
        await sock.close()

    await wait_until(lambda: unloads == ["unload"])
    release.set()
    await wait_event(finished)
    await close_app(demo)
    assert unloads == ["unload"]


def test_closing_the_app_unloads_every_session_once(launch: Apps) -> None:
    """demo.close() runs each unload listener once for every open session."""
    unloads: list[str] = []
    with gr.Blocks() as demo:
        gr.Textbox()

        async def farewell() -> None:
            await asyncio.sleep(0.01)
            unloads.append("async")

        demo.unload(farewell)
        demo.unload(lambda: unloads.append("sync"))

    url = launch(demo)
    clients = [gr.Client(url) for _ in range(3)]
    try:
        for client in clients:
            client.settle()

        demo.close()

        assert sorted(unloads) == ["async"] * 3 + ["sync"] * 3
    finally:
        for client in clients:
            client.close()


# -- execution -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_generator_streams_every_yield_and_ends_on_the_final_value(
    launch: Apps, sockets: Sockets, kind: str
) -> None:
    """Each yield reaches the client, growing text as appends, then one end."""
    tokens = ["Hel", "lo", " wor", "ld"]
    gate: queue.Queue[None] = queue.Queue()

    def sync_stream() -> Iterator[str]:
        text = ""
        for token in tokens:
            text += token
            yield text
            gate.get(timeout=TIMEOUT)

    async def async_stream() -> AsyncIterator[str]:
        text = ""
        for token in tokens:
            text += token
            yield text
            await asyncio.to_thread(gate.get, True, TIMEOUT)

    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        stream = sync_stream if kind == "sync" else async_stream
        gr.Button().click(stream, None, out, api_name="stream")

    sock, _ = await sockets.open(launch(demo))
    await sock.send({"type": "call", "api_name": "stream", "inputs": [], "ref": 1})
    changes: list[list[Any]] = []
    for _ in tokens:
        received = await sock.receive_until(lambda m: m["type"] == "update")
        changes.extend(received[-1]["changes"])
        gate.put(None)
    received = await sock.receive_until(lambda m: m["type"] == "end")

    assert changes == [
        [out.id, "value", "Hel"],
        [out.id, "value", "lo", "append"],
        [out.id, "value", " wor", "append"],
        [out.id, "value", "ld", "append"],
    ]
    assert received == [
        {
            "type": "end",
            "event": 1,
            "listener": 0,
            "outcome": "done",
            "ref": 1,
            "outputs": ["Hello world"],
        }
    ]


async def test_async_function_is_cancelled_when_its_session_closes(
    launch: Apps,
) -> None:
    """Closing the socket cancels a running async function; its finally runs."""
    started, cancelled, cleaned = (threading.Event() for _ in range(3))
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        button = gr.Button()

        async def wait_forever() -> str:
            started.set()
            try:
                await asyncio.sleep(TIMEOUT * 3)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            finally:
                cleaned.set()
            return "never"

        button.click(wait_forever, None, out)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.trigger(button.id, "click")
        await wait_event(started)

    await wait_event(cancelled)
    assert cleaned.is_set()


async def test_trigger_mode_once_refuses_a_second_trigger_while_running(
    launch: Apps,
) -> None:
    """With trigger_mode='once', a trigger during a run ends refused; the run ends done."""
    started, release = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")

        def slow() -> str:
            started.set()
            release.wait(TIMEOUT)
            return "finished"

        gr.Button().click(slow, None, out, trigger_mode="once")

    async with gr.AsyncClient(launch(demo)) as client:
        first = asyncio.create_task(client.predict(api_name="slow"))
        await wait_event(started)

        with pytest.raises(gr.EventError) as caught:
            await client.predict(api_name="slow")
        release.set()

        assert caught.value.outcome == "refused"
        assert str(caught.value) == (
            "refused: listener 'slow' is already pending (trigger_mode='once')"
        )
        assert await asyncio.wait_for(first, TIMEOUT) == "finished"


async def test_sync_functions_run_in_worker_threads_and_async_on_the_loop(
    launch: Apps,
) -> None:
    """A sync function runs in a pool thread with no loop; an async one on the loop."""
    seen: dict[str, tuple[str, bool]] = {}

    def has_running_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")
        button = gr.Button()

        def sync_fn() -> str:
            seen["sync"] = (threading.current_thread().name, has_running_loop())
            return "sync"

        async def async_fn() -> str:
            seen["async"] = (threading.current_thread().name, has_running_loop())
            return "async"

        button.click(sync_fn, None, out)
        button.click(async_fn, None, out)

    async with gr.AsyncClient(launch(demo)) as client:
        assert await client.predict(api_name="sync_fn") == "sync"
        assert await client.predict(api_name="async_fn") == "async"

    sync_thread, sync_loop = seen["sync"]
    assert re.fullmatch(r"reactive_blocks_\d+", sync_thread)
    assert sync_loop is False
    assert seen["async"] == ("reactive_blocks-server", True)


async def test_costly_conversions_run_with_a_sync_function_off_the_loop(
    launch: Apps,
) -> None:
    """An Image's preprocess and postprocess share a sync call's worker thread.

    A batch function's too. With an async function they run on the loop, as
    the function does; a sync generator prepares its inputs in its worker
    thread, and its yields are converted on the loop as they come.
    """
    seen: dict[tuple[str, str], bool] = {}

    def has_running_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    current: dict[str, str] = {}

    class NotedImage(gr.Image):
        """Notes where it converts a run's values (not the initial None)."""

        def preprocess(self, value: Any) -> Any:
            if value is not None:
                seen[("preprocess", current["fn"])] = has_running_loop()
            return super().preprocess(value)

        def postprocess(self, value: Any) -> Any:
            if value is not None:
                seen[("postprocess", current["fn"])] = has_running_loop()
            return super().postprocess(value)

    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    with gr.Blocks() as demo:
        upload = NotedImage(label="Upload")
        flipped = NotedImage(label="Flipped")
        button = gr.Button()

        def sync_flip(image: np.ndarray) -> np.ndarray:
            return np.fliplr(image)

        async def async_flip(image: np.ndarray) -> np.ndarray:
            return np.fliplr(image)

        def batch_flip(images: list[np.ndarray]) -> tuple[list[np.ndarray]]:
            return ([np.fliplr(image) for image in images],)

        def generator_flip(image: np.ndarray) -> Iterator[np.ndarray]:
            yield np.fliplr(image)

        button.click(sync_flip, upload, flipped)
        button.click(async_flip, upload, flipped)
        button.click(batch_flip, upload, flipped, batch=True)
        button.click(generator_flip, upload, flipped)

    async with gr.AsyncClient(launch(demo)) as client:
        for fn in ("sync_flip", "async_flip", "batch_flip", "generator_flip"):
            current["fn"] = fn
            result = await client.predict(
                gr.Blob(png(pixels), "image/png"), api_name=fn
            )
            with PIL.Image.open(io.BytesIO(result.data)) as image:
                np.testing.assert_array_equal(np.asarray(image), pixels[:, ::-1, :])

    assert seen == {
        ("preprocess", "sync_flip"): False,
        ("postprocess", "sync_flip"): False,
        ("preprocess", "async_flip"): True,
        ("postprocess", "async_flip"): True,
        ("preprocess", "batch_flip"): False,
        ("postprocess", "batch_flip"): False,
        ("preprocess", "generator_flip"): False,
        ("postprocess", "generator_flip"): True,
    }


async def test_other_sessions_are_answered_while_an_output_converts(
    launch: Apps, sockets: Sockets
) -> None:
    """While an Image output is encoded, the loop serves another session.

    The encoding starts, then waits until another socket's ping got its
    pong: on the loop, which could not answer the ping, it would wait until
    the test timed out.
    """
    converting, answered = threading.Event(), threading.Event()
    pixels = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)

    class PatientImage(gr.Image):
        def postprocess(self, value: Any) -> Any:
            if value is not None:
                converting.set()
                if not answered.wait(TIMEOUT):
                    raise AssertionError("no pong while the image was encoded")
            return super().postprocess(value)

    with gr.Blocks() as demo:
        button = gr.Button()
        picture = PatientImage(label="Picture")
        button.click(lambda: pixels, None, picture, api_name="paint")

    url = launch(demo)
    painter, _ = await sockets.open(url)
    watcher, _ = await sockets.open(url)
    await painter.send({"type": "call", "api_name": "paint", "inputs": [], "ref": 1})
    assert await asyncio.to_thread(converting.wait, TIMEOUT)
    await watcher.ping()
    answered.set()
    end = (await painter.receive_until(lambda m: m["type"] == "end" and m["ref"] == 1))[
        -1
    ]

    assert end["outcome"] == "done"
    with PIL.Image.open(io.BytesIO(end["outputs"][0].data)) as image:
        np.testing.assert_array_equal(np.asarray(image), pixels)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def changes_in(received: list[Message]) -> list[list[Any]]:
    """Every change the ``update`` messages in ``received`` carry, in order."""
    return [
        change for m in received if m["type"] == "update" for change in m["changes"]
    ]


def blank_upload(upload: gr.Image, height: int, width: int) -> Message:
    """A ``set`` of a black PNG, ``height`` by ``width``, into ``upload``."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    return {"type": "set", "id": upload.id, "value": gr.Blob(png(pixels), "image/png")}


def measuring(upload: gr.Image) -> tuple[gr.Textbox, gr.Button]:
    """A Size box, and a Measure button writing the upload's height x width in it."""
    size = gr.Textbox(label="Size")
    button = gr.Button("Measure")
    button.click(lambda image: f"{image.shape[0]}x{image.shape[1]}", upload, size)
    return size, button


def measure(button: gr.Button) -> Message:
    return {"type": "trigger", "id": button.id, "event": "click", "ref": 2}


def gated_check(checking: threading.Event, go_on: threading.Event) -> type[gr.Image]:
    """An Image whose check of an upload sets ``checking``, then waits for ``go_on``."""

    class GatedImage(gr.Image):
        def check_whole(self, value: Any) -> None:
            checking.set()
            if not go_on.wait(TIMEOUT):
                raise AssertionError("the test never let the check go on")
            super().check_whole(value)

    return GatedImage


async def test_uploaded_png_round_trips_through_fliplr(launch: Apps) -> None:
    """A PNG set into an Image comes back through np.fliplr with columns reversed."""
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3) * 2
    with gr.Blocks() as demo:
        upload = gr.Image(label="Upload")
        flipped = gr.Image(label="Flipped")
        upload.change(np.fliplr, upload, flipped)

    async with gr.AsyncClient(launch(demo)) as client:
        await client.set(upload.id, gr.Blob(png(pixels), "image/png"))
        await client.settle()
        result = client.values[flipped.id]

    assert isinstance(result, gr.Blob)
    assert result.mime == "image/png"
    with PIL.Image.open(io.BytesIO(result.data)) as image:
        returned = np.asarray(image)
    np.testing.assert_array_equal(returned, pixels[:, ::-1, :])


def truncated_jpeg() -> bytes:
    """A real 64x64 JPEG cut after half its bytes, as an interrupted upload."""
    pixels = np.random.default_rng(7).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="JPEG")
    whole = buffer.getvalue()
    return whole[: len(whole) // 2]


def hollow_png(width: int, height: int) -> bytes:
    """A PNG whose header says ``width`` x ``height`` but whose data chunk is empty."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


CORRUPT_IMAGES: Final[list[Any]] = [
    pytest.param(truncated_jpeg, "image/jpeg", id="jpeg-cut-in-half"),
    pytest.param(lambda: hollow_png(7000, 7000), "image/png", id="png-without-pixels"),
]


@pytest.mark.parametrize("kind", ["set", "stream"])
@pytest.mark.parametrize(("build", "mime"), CORRUPT_IMAGES)
async def test_a_truncated_image_is_a_bad_value_and_the_session_carries_on(
    launch: Apps,
    sockets: Sockets,
    kind: str,
    build: Callable[[], bytes],
    mime: str,
) -> None:
    """An image whose pixels cannot be decoded is refused as bad_value, nothing runs."""
    runs: list[int] = []
    with gr.Blocks() as demo:
        upload = gr.Image(label="Upload")
        webcam = gr.Image(sources=["webcam"], streaming=True, label="Webcam")
        upload.change(lambda image: runs.append(image.shape[0]), upload, None)
        webcam.stream(lambda image: runs.append(image.shape[0]), webcam, None)
    target = upload if kind == "set" else webcam
    sock, _ = await sockets.open(launch(demo))

    message = {"type": kind, "id": target.id, "value": gr.Blob(build(), mime)}
    await sock.send({**message, "ref": 7})
    [error] = await sock.ping()

    assert (error["type"], error["code"], error["ref"]) == ("error", "bad_value", 7)
    assert error["message"].startswith(
        f"Image '{target.label}': the image is truncated or corrupt and cannot be "
        "decoded ("
    )
    assert error["message"].endswith("; send the whole file again")

    pixels = np.zeros((5, 4, 3), dtype=np.uint8)
    await sock.send({**message, "value": gr.Blob(png(pixels), "image/png")})
    received = await sock.receive_until(lambda m: m["type"] == "end")
    assert received[-1]["outcome"] == "done"
    assert runs == [5]


async def test_other_sessions_are_answered_while_an_upload_is_checked(
    launch: Apps, sockets: Sockets
) -> None:
    """An upload is decoded whole off the loop; its session's next message waits.

    The check starts, then waits until another socket's ping got its pong:
    on the loop, which could not answer that ping, it would wait until the
    test timed out. The uploader's own trigger, sent right after its upload,
    runs only once the check ended, and reads the new image.
    """
    checking, answered = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        upload = gated_check(checking, answered)(label="Upload")
        size, button = measuring(upload)

    url = launch(demo)
    uploader, _ = await sockets.open(url)
    watcher, _ = await sockets.open(url)
    await uploader.send(blank_upload(upload, 5, 4))
    await uploader.send(measure(button))
    assert await asyncio.to_thread(checking.wait, TIMEOUT)
    await watcher.ping()
    answered.set()
    received = await uploader.receive_until(lambda m: m["type"] == "end")

    assert received[-1]["outcome"] == "done"
    assert [size.id, "value", "5x4"] in changes_in(received)


async def test_the_socket_is_not_read_while_an_upload_is_checked(
    launch: Apps, sockets: Sockets
) -> None:
    """Messages sent during a check wait in TCP, not in the server's memory.

    64 MiB of edits sent while the check holds the session's messages do
    not get through: the server stopped reading. After the check, every
    one is handled, in order.
    """
    checking, done = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        upload = gated_check(checking, done)(label="Upload")
        text = gr.Textbox(label="Text")
        echo = gr.Textbox(label="Echo")
        button = gr.Button("Echo")
        button.click(lambda t: t[-8:], text, echo)

    sock, _ = await sockets.open(launch(demo))
    await sock.send(blank_upload(upload, 2, 2))
    assert await asyncio.to_thread(checking.wait, TIMEOUT)

    async def edit_a_lot() -> None:
        for i in range(64):
            value = f"{i:08d}".rjust(1024 * 1024, ".")
            await sock.send({"type": "set", "id": text.id, "value": value})
        await sock.send({"type": "trigger", "id": button.id, "event": "click"})

    edits = asyncio.ensure_future(edit_a_lot())
    stalled = await asyncio.wait({edits}, timeout=1.0)
    done.set()
    await asyncio.wait_for(edits, TIMEOUT)
    received = await sock.receive_until(lambda m: m["type"] == "end")

    assert stalled == (set(), {edits}), "the server read 64 MiB during the check"
    assert received[-1]["outcome"] == "done"
    assert [echo.id, "value", "00000063"] in changes_in(received)


async def test_a_check_longer_than_the_heartbeat_does_not_cut_the_socket(
    launch: Apps, sockets: Sockets
) -> None:
    """While reading waits for a check, the client's unread pongs count as heard.

    The check lasts eight heartbeats; the same socket then runs the trigger
    sent behind the upload.
    """

    class SlowImage(gr.Image):
        def check_whole(self, value: Any) -> None:
            time.sleep(0.8)
            super().check_whole(value)

    with gr.Blocks() as demo:
        upload = SlowImage(label="Upload")
        size, button = measuring(upload)

    sock, _ = await sockets.open(launch(demo, heartbeat=0.1))
    await sock.send(blank_upload(upload, 3, 2))
    await sock.send(measure(button))
    received = await sock.receive_until(lambda m: m["type"] == "end")

    assert received[-1]["outcome"] == "done"
    assert [size.id, "value", "3x2"] in changes_in(received)


async def test_an_image_above_the_pixel_limit_is_refused_before_decoding(
    launch: Apps, sockets: Sockets
) -> None:
    """A header claiming more pixels than the limit is refused without decoding."""
    with gr.Blocks() as demo:
        upload = gr.Image(label="Upload")
    sock, _ = await sockets.open(launch(demo))

    value = gr.Blob(hollow_png(10_000, 6_000), "image/png")
    await sock.send({"type": "set", "id": upload.id, "value": value, "ref": 7})
    [error] = await sock.ping()

    assert error == {
        "type": "error",
        "code": "bad_value",
        "message": "Image 'Upload': 10000x6000 pixels is above the limit of "
        "50,000,000; send a smaller image",
        "ref": 7,
    }
