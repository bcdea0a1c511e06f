"""The HTTP API routes against real servers: direct calls that skip the queue."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import numpy as np
import pandas as pd
import PIL.Image
import pytest
from in_flight import InFlight
from waiting import wait_event

import reactive_blocks as gr
from reactive_blocks.session import GENERIC_ERROR
from reactive_blocks.transport._auth import COOKIE

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, RawSocket, Sockets

TIMEOUT: Final = 10.0
SERVER_THREAD: Final = "reactive_blocks-server"

Answer = tuple[int, dict[str, Any]]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client with a deadline on every request."""
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


async def post(
    http: aiohttp.ClientSession,
    url: str,
    api_name: str,
    body: Any,
    **options: Any,
) -> Answer:
    """POST ``body`` (JSON, or bytes as they are) to ``api/<api_name>``."""
    sent = {"data": body} if isinstance(body, bytes) else {"json": body}
    async with http.post(f"{url}api/{api_name}", **sent, **options) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def get_api(http: aiohttp.ClientSession, url: str) -> Answer:
    async with http.get(f"{url}api") as response:
        return response.status, await response.json()


def scheduler_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("reactive_blocks") and r.levelno >= logging.ERROR
    ]


class Calls:
    """The threads a sync function ran on, to check the loop was never used."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def record(self) -> None:
        self.threads.append(threading.current_thread().name)


def endpoints_app(calls: Calls, *, api_open: bool = True) -> gr.Blocks:
    """'greet', 'tally' (State), 'hidden', 'stream', 'finish', 'refuse'; 'reverse' unnamed."""
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        times = gr.Slider(1, 5, step=1, label="Times")
        out = gr.Textbox(label="Out")
        history = gr.State([1])
        button = gr.Button("Go")

        def greet(text: str) -> str:
            calls.record()
            return f"Hello {text}!"

        def tally(text: str, seen: list[int]) -> tuple[str, list[int]]:
            seen.append(len(seen) + 1)
            return f"{text}:{seen}", seen

        def stream(text: str, n: float) -> Iterator[str]:
            for i in range(int(n)):
                yield text * (i + 1)

        def finish(text: str) -> Iterator[str]:
            yield "partial"
            return f"done {text}"

        def refuse(text: str) -> str:
            raise gr.Error(f"No {text} allowed")

        def reverse(text: str) -> str:
            calls.record()
            return text[::-1]

        button.click(greet, name, out)
        button.click(tally, [name, history], [out, history])
        button.click(lambda t: t.upper(), name, out, api_name="hidden", show_api=False)
        button.click(reverse, name, out, api_name=False)
        button.click(stream, [name, times], out)
        button.click(finish, name, out)
        button.click(refuse, name, out)
    return demo.queue(api_open=True) if api_open else demo


def test_queue_api_open_sets_the_option_and_none_keeps_it() -> None:
    """api_open=True opens, a later queue() without it keeps it open, False closes."""
    with gr.Blocks() as demo:
        gr.Textbox()

    assert demo.spec().queue.api_open is False
    assert demo.queue(api_open=True).spec().queue.api_open is True
    assert demo.queue(max_size=3).spec().queue.api_open is True
    assert demo.queue(api_open=False).spec().queue.api_open is False


# -- calls that succeed ------------------------------------------------------------


async def test_call_returns_the_outputs_computed_in_a_worker_thread(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """POST api/greet answers the function's exact output, computed off the loop."""
    calls = Calls()
    url = launch(endpoints_app(calls))

    status, body = await post(http, url, "greet", {"data": ["Ada"]})

    assert status == 200
    assert body["data"] == ["Hello Ada!"]
    assert isinstance(body["duration"], float) and 0 <= body["duration"] < TIMEOUT
    assert len(calls.threads) == 1 and calls.threads[0] != SERVER_THREAD


async def test_a_chat_history_and_a_plot_table_pass_as_inputs(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """What the page cannot edit, a caller can pass: over the socket and HTTP."""

    def respond(message: str, history: list[dict[str, str]], table: Any) -> Any:
        reply = f"{message}: {len(table)} rows, y sums to {table['y'].sum()}"
        return [*history, {"role": "assistant", "content": reply}]

    with gr.Blocks() as demo:
        box = gr.Textbox(label="Message")
        chat = gr.Chatbot(label="Chat")
        plot = gr.LinePlot(x="x", y="y", label="Plot")
        box.submit(respond, [box, chat, plot], chat, api_name="respond")
    url = launch(demo.queue(api_open=True))
    history = [{"role": "user", "content": "hi"}]
    table = {"columns": ["x", "y"], "data": [[1, 2], [3, 4]]}
    answer = [*history, {"role": "assistant", "content": "go: 2 rows, y sums to 6"}]

    async with gr.AsyncClient(url) as client:
        assert await client.predict("go", history, table, api_name="respond") == answer
        with pytest.raises(gr.ProtocolError, match="one value per column"):
            bad = {"columns": ["x"], "data": [[1, 2]]}
            await client.predict("go", history, bad, api_name="respond")
    status, body = await post(http, url, "respond", {"data": ["go", history, table]})

    assert (status, body["data"]) == (200, [answer])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            {"columns": ["x", "y"], "data": [[1, 2], [3]]},
            "LinePlot 'Plot': every row of 'data' needs one value per column (2)",
            id="ragged",
        ),
        pytest.param(
            {"columns": ["x", "y", "y"], "data": [[1, 2, 3]]},
            "LinePlot 'Plot': the column names must differ",
            id="same-names",
        ),
        pytest.param(
            {"columns": ["x", "z"], "data": [[1, 2]]},
            "LinePlot 'Plot': the DataFrame has no column 'y'; it has x, z",
            id="no-y",
        ),
        pytest.param(
            {"columns": ["x", "y"]},
            "LinePlot 'Plot' needs a table as {'columns': [names...], "
            "'data': [[row]...]}: 'columns' and 'data' must be lists",
            id="no-data",
        ),
    ],
)
async def test_a_bad_plot_table_answers_400_naming_what_is_wrong(
    launch: Apps, http: aiohttp.ClientSession, table: Any, message: str
) -> None:
    with gr.Blocks() as demo:
        plot = gr.LinePlot(x="x", y="y", label="Plot")
        plot.change(len, plot, gr.Textbox(), api_name="rows")
    url = launch(demo.queue(api_open=True))

    answer = await post(http, url, "rows", {"data": [table]})

    assert answer == (400, {"error": message, "code": "bad_value"})


async def test_a_long_error_of_the_app_is_cut_for_the_client(launch: Apps) -> None:
    """The app's own error text is cut as a refusal's is; the server log keeps it."""

    def fail() -> None:
        raise gr.Error("E" * 5000)

    with gr.Blocks() as demo:
        gr.Button().click(fail, None, None, api_name="fail")

    async with gr.AsyncClient(launch(demo)) as client:
        with pytest.raises(gr.EventError) as failed:
            await client.predict(api_name="fail")

    assert str(failed.value) == f"error: {'E' * 1000}… (4,000 more characters)"


async def test_a_number_passed_for_a_textbox_arrives_as_its_text(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """As in Gradio, a caller's number or boolean is the textbox's text."""
    with gr.Blocks() as demo:
        box = gr.Textbox(label="Box")
        box.submit(repr, box, gr.Textbox(), api_name="show")
    url = launch(demo.queue(api_open=True))

    async with gr.AsyncClient(url) as client:
        assert await client.predict(123, api_name="show") == "'123'"
        assert await client.predict(1.5, api_name="show") == "'1.5'"
        with pytest.raises(gr.ProtocolError, match="Box' needs a string, got list"):
            await client.predict([1], api_name="show")
    status, body = await post(http, url, "show", {"data": [True]})

    assert (status, body["data"]) == (200, ["'True'"])


async def test_a_bad_value_is_not_echoed_whole_in_the_error(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A two-megabyte bad message gets an error of a thousand characters or so."""
    with gr.Blocks() as demo:
        chat = gr.Chatbot(label="Chat")
        chat.change(len, chat, gr.Textbox(), api_name="count")
    url = launch(demo.queue(api_open=True))
    junk = [{"role": "user", "junk": "A" * 2_000_000}]

    status, body = await post(http, url, "count", {"data": [junk]})
    async with gr.AsyncClient(url) as client:
        with pytest.raises(gr.ProtocolError) as refused:
            await client.predict(junk, api_name="count")

    assert status == 400
    for message in (body["error"], str(refused.value)):
        assert message.startswith("Chatbot 'Chat': each message must be a dict")
        assert message.endswith("more characters)")
        assert len(message) < 1100


async def test_an_answer_larger_than_a_client_message_reaches_the_client(
    launch: Apps,
) -> None:
    """The server's frames have no size limit: the client takes them whole."""
    with gr.Blocks() as demo:
        size = gr.Slider(0, 2**26, label="Size")
        size.change(lambda n: "x" * int(n), size, gr.Textbox(), api_name="make")
    async with gr.AsyncClient(launch(demo)) as client:
        text = await client.predict(17 * 2**20, api_name="make")

        assert text == "x" * (17 * 2**20)
        assert await client.predict(3, api_name="make") == "xxx"


async def test_state_inputs_get_a_fresh_copy_of_the_initial_value(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """Each call's State starts from its own copy of [1]; State outputs are left out."""
    url = launch(endpoints_app(Calls()))

    first = await post(http, url, "tally", {"data": ["a"]})
    second = await post(http, url, "tally", {"data": ["b"]})

    assert first == (200, {"data": ["a:[1, 2]"], "duration": first[1]["duration"]})
    assert second[1]["data"] == ["b:[1, 2]"]


async def test_generator_answers_its_last_yield_or_its_return_value(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A generator's answer is its final value: the last yield, or what it returned."""
    url = launch(endpoints_app(Calls()))

    yielded = await post(http, url, "stream", {"data": ["ab", 3]})
    returned = await post(http, url, "finish", {"data": ["now"]})

    assert yielded[0] == 200 and yielded[1]["data"] == ["ababab"]
    assert returned[0] == 200 and returned[1]["data"] == ["done now"]


async def test_show_api_false_is_callable_but_not_listed(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """'hidden' answers calls; GET api lists every endpoint but it and api_name=False."""
    demo = endpoints_app(Calls())
    url = launch(demo)

    status, body = await post(http, url, "hidden", {"data": ["quiet"]})
    listed_status, listed = await get_api(http, url)

    assert (status, body["data"]) == (200, ["QUIET"])
    assert listed_status == 200
    assert sorted(listed["endpoints"]) == [
        "finish",
        "greet",
        "refuse",
        "stream",
        "tally",
    ]
    name_id = next(i for i, b in demo.spec().components.items() if b.label == "Name")
    textbox = {"id": name_id, "type": "textbox", "label": "Name"}
    assert listed["endpoints"]["tally"]["inputs"] == [textbox]
    assert listed["endpoints"]["stream"]["inputs"][1]["type"] == "slider"
    assert [o["type"] for o in listed["endpoints"]["greet"]["outputs"]] == ["textbox"]


async def test_launch_show_api_false_lists_nothing_but_still_answers(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """launch(show_api=False) empties GET api; the endpoints still answer calls."""
    url = launch(endpoints_app(Calls()), show_api=False)

    listed = await get_api(http, url)
    status, body = await post(http, url, "greet", {"data": ["Ada"]})

    assert listed == (200, {"endpoints": {}})
    assert (status, body["data"]) == (200, ["Hello Ada!"])


async def test_images_travel_as_data_urls_both_ways(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A PNG data: URL goes in as an array; the inverted image comes back as one."""
    with gr.Blocks() as demo:
        source = gr.Image(label="Source")
        result = gr.Image(label="Result")
        gr.Button().click(lambda a: 255 - a, source, result, api_name="invert")
    url = launch(demo.queue(api_open=True))
    pixels = np.array([[[10, 20, 30], [200, 100, 0]]], dtype=np.uint8)
    buffer = io.BytesIO()
    PIL.Image.fromarray(pixels).save(buffer, format="PNG")
    sent = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    status, body = await post(http, url, "invert", {"data": [sent]})

    assert status == 200
    head, _, payload = body["data"][0].partition(",")
    assert head == "data:image/png;base64"
    with PIL.Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        assert np.asarray(image).tolist() == (255 - pixels).tolist()


async def test_a_truncated_image_answers_400_bad_value(
    launch: Apps, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A JPEG cut in half is refused as bad_value before the function runs."""
    calls = Calls()
    with gr.Blocks() as demo:
        source = gr.Image(label="Source")
        result = gr.Image(label="Result")

        def invert(image: np.ndarray) -> np.ndarray:
            calls.record()
            return 255 - image

        gr.Button().click(invert, source, result, api_name="invert")
    url = launch(demo.queue(api_open=True))
    buffer = io.BytesIO()
    # Noise, so that the cut falls in the pixel data and the structure reads whole.
    noise = np.random.default_rng(7).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    PIL.Image.fromarray(noise).save(buffer, "JPEG")
    cut = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    sent = "data:image/jpeg;base64," + base64.b64encode(cut).decode()

    status, body = await post(http, url, "invert", {"data": [sent]})

    assert (status, body["code"]) == (400, "bad_value")
    assert body["error"].startswith(
        "Image 'Source': the image is truncated or corrupt and cannot be decoded ("
    )
    assert calls.threads == []
    assert scheduler_errors(caplog) == []


# -- refused requests --------------------------------------------------------------


async def test_routes_are_closed_by_default(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """Without queue(api_open=True) both routes answer 403 saying how to open them."""
    calls = Calls()
    url = launch(endpoints_app(calls, api_open=False))

    status, body = await post(http, url, "greet", {"data": ["Ada"]})
    listed_status, listed = await get_api(http, url)

    assert status == 403 and listed_status == 403
    assert body["code"] == "api_closed" == listed["code"]
    assert "demo.queue(api_open=True)" in body["error"]
    assert calls.threads == []


async def test_api_name_false_and_unknown_names_are_not_found(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """'reverse' (api_name=False) and a name nobody declared both answer 404."""
    calls = Calls()
    url = launch(endpoints_app(calls))

    unnamed = await post(http, url, "reverse", {"data": ["abc"]})
    unknown = await post(http, url, "nothing_here", {"data": ["abc"]})

    assert unnamed[0] == 404 and unnamed[1]["code"] == "unknown_endpoint"
    assert calls.threads == []
    assert unknown == (
        404,
        {
            "error": "no endpoint named 'nothing_here'; GET api lists the endpoints",
            "code": "unknown_endpoint",
        },
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"{not json", "the body is not valid JSON", id="not-json"),
        pytest.param(["Ada"], 'the body must be a JSON object like {"data"', id="list"),
        pytest.param(
            {"data": "Ada"},
            'the body must be a JSON object like {"data"',
            id="data-str",
        ),
        pytest.param(
            {"data": ["Ada", "Bob"]},
            "endpoint 'greet' takes 1 input values (Textbox 'Name'), got 2",
            id="arity",
        ),
        pytest.param(
            {"data": [[7]]}, "Textbox 'Name' needs a string, got list", id="value"
        ),
    ],
)
async def test_malformed_requests_answer_400_naming_the_problem(
    launch: Apps, http: aiohttp.ClientSession, body: Any, message: str
) -> None:
    """Bad JSON, a body of the wrong shape, wrong arity or a bad value: 400, nothing runs."""
    calls = Calls()
    url = launch(endpoints_app(calls))

    status, answer = await post(http, url, "greet", body)

    assert status == 400
    assert answer["error"].startswith(message), answer
    assert calls.threads == []


async def test_slider_out_of_range_is_refused(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """An input outside the Slider's range answers 400 with the Slider's own message."""
    url = launch(endpoints_app(Calls()))

    status, body = await post(http, url, "stream", {"data": ["a", 9]})

    assert (status, body["code"]) == (400, "bad_value")
    assert body["error"] == "Slider 'Times' takes values from 1 to 5, got 9"


async def test_cross_origin_page_is_refused(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A browser page of another site cannot call the app, as it cannot open its socket."""
    calls = Calls()
    url = launch(endpoints_app(calls))

    status, body = await post(
        http, url, "greet", {"data": ["Ada"]}, headers={"Origin": "http://elsewhere"}
    )

    assert (status, body["code"]) == (403, "cross_origin")
    assert calls.threads == []


# -- errors in the function ----------------------------------------------------------


async def test_gr_error_answers_422_with_its_message(
    launch: Apps, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """gr.Error's message is the answer's error, and nothing is logged at ERROR."""
    caplog.set_level(logging.ERROR, logger="reactive_blocks")
    url = launch(endpoints_app(Calls()))

    answer = await post(http, url, "refuse", {"data": ["cats"]})

    assert answer == (422, {"error": "No cats allowed", "code": "app_error"})
    assert scheduler_errors(caplog) == []


async def test_crash_answers_500_is_logged_once_and_sessions_carry_on(
    launch: Apps,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raising function: 500 with a generic message, one ERROR log, sockets still served."""
    caplog.set_level(logging.ERROR, logger="reactive_blocks")
    with gr.Blocks() as demo:
        name = gr.Textbox(label="Name")
        out = gr.Textbox(label="Out")
        button = gr.Button()

        def boom(text: str) -> str:
            raise ValueError(f"cannot use {text!r}")

        button.click(boom, name, out)
        button.click(lambda t: f"Hello {t}!", name, out, api_name="greet")
    url = launch(demo.queue(api_open=True))

    answer = await post(http, url, "boom", {"data": ["x"]})

    assert answer == (500, {"error": GENERIC_ERROR, "code": "internal"})
    [record] = scheduler_errors(caplog)
    assert record.name == "reactive_blocks.scheduler"
    assert record.getMessage() == "listener 'boom' raised"
    assert record.exc_info is not None and record.exc_info[0] is ValueError
    async with gr.AsyncClient(url) as client:
        assert await client.predict("Ada", api_name="greet") == "Hello Ada!"
    assert (await post(http, url, "greet", {"data": ["Bo"]}))[1]["data"] == [
        "Hello Bo!"
    ]


async def test_show_error_puts_the_exception_text_in_the_answer(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """With launch(show_error=True) the 500 answer names the exception and its text."""
    with gr.Blocks() as demo:
        gr.Button().click(lambda: 1 / 0, None, gr.Textbox(), api_name="divide")
    url = launch(demo.queue(api_open=True), show_error=True)

    answer = await post(http, url, "divide", {"data": []})

    assert answer == (
        500,
        {"error": "ZeroDivisionError: division by zero", "code": "internal"},
    )


async def test_outputs_that_cannot_be_encoded_answer_500_saying_so(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """The function ran: the 500 answer blames the encoding, not the function."""
    periods = pd.DataFrame({"x": pd.period_range("2020-01", periods=2), "y": [1, 2]})
    with gr.Blocks() as demo:
        plot = gr.LinePlot(x="x", y="y")
        gr.Button().click(lambda: periods, None, plot, api_name="plot")
    url = launch(demo.queue(api_open=True))

    status, body = await post(http, url, "plot", {"data": []})

    assert status == 500
    assert body["code"] == "internal"
    assert body["error"].startswith("the server could not send the outputs: ")


async def test_time_limit_stops_a_direct_call(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A sync function past its time_limit answers 500 saying so, long before it ends."""
    with gr.Blocks() as demo:
        gr.Button().click(
            lambda: time.sleep(2) or "late",
            None,
            gr.Textbox(),
            api_name="slow",
            time_limit=0.2,
        )
    url = launch(demo.queue(api_open=True))

    started = time.monotonic()
    answer = await post(http, url, "slow", {"data": []})

    assert time.monotonic() - started < 1.5
    assert answer == (
        500,
        {
            "error": "listener 'slow' ran longer than its time_limit of 0.2 s and "
            "was stopped",
            "code": "internal",
        },
    )


# -- login ---------------------------------------------------------------------------


async def test_login_is_required_when_the_app_has_auth(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """Without the login cookie: 401; with the cookie the login page sets: 200."""
    url = launch(endpoints_app(Calls()), auth=("ada", "lovelace"))

    refused = await post(http, url, "greet", {"data": ["Ada"]})
    async with http.post(
        f"{url}login",
        data={"username": "ada", "password": "lovelace"},
        allow_redirects=False,
    ) as response:
        assert response.status == 302
        token = response.cookies[COOKIE].value
    allowed = await post(
        http, url, "greet", {"data": ["Ada"]}, headers={"Cookie": f"{COOKIE}={token}"}
    )

    assert refused[0] == 401 and refused[1]["code"] == "login_required"
    assert allowed[0] == 200 and allowed[1]["data"] == ["Hello Ada!"]


async def test_the_login_page_gets_the_favicon_where_browsers_look(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Before login, /favicon.ico answers with the app's icon, not 404."""
    icon = tmp_path / "icon.png"
    PIL.Image.new("RGB", (1, 1)).save(icon)
    url = launch(endpoints_app(Calls()), auth=("ada", "lovelace"), favicon_path=icon)

    async with http.get(f"{url}login") as page:
        assert page.status == 200
    async with http.get(f"{url}favicon.ico") as response:
        assert response.status == 200
        assert await response.read() == icon.read_bytes()


# -- skipping the queue ----------------------------------------------------------------


async def until(sock: RawSocket, done: Any) -> list[Message]:
    received = await sock.receive_until(lambda m: m["type"] != "ack" and done(m))
    return [m for m in received if m["type"] != "ack"]


async def test_direct_call_skips_a_busy_queue_and_its_max_size(
    launch: Apps, http: aiohttp.ClientSession, sockets: Sockets
) -> None:
    """With the only slot held and the queue full, a direct call still answers at once."""
    started, release = threading.Event(), threading.Event()
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        out = gr.Textbox(label="Out")

        def work(value: str) -> str:
            if value == "hold":
                started.set()
                release.wait(TIMEOUT)
            return value.upper()

        gr.Button().click(work, text, out, concurrency_limit=1)
    url = launch(demo.queue(api_open=True, max_size=1))

    holder, _ = await sockets.open(url)
    waiter, _ = await sockets.open(url)
    late, _ = await sockets.open(url)
    try:
        await holder.send({"type": "call", "api_name": "work", "inputs": ["hold"]})
        await wait_event(started)
        await waiter.send({"type": "call", "api_name": "work", "inputs": ["next"]})
        queued = await until(waiter, lambda m: m["type"] == "event")

        answer = await post(http, url, "work", {"data": ["quick"]})
        assert not release.is_set()

        await late.send({"type": "call", "api_name": "work", "inputs": ["late"]})
        refused = await until(late, lambda m: m["type"] == "end")
    finally:
        release.set()
    holder_end = await until(holder, lambda m: m["type"] == "end")
    waiter_end = await until(waiter, lambda m: m["type"] == "end")

    assert answer[0] == 200 and answer[1]["data"] == ["QUICK"]
    assert (queued[0]["stage"], queued[0]["position"]) == ("queued", 0)
    assert refused[-1]["outcome"] == "refused" and refused[-1]["code"] == "queue_full"
    assert holder_end[-1]["outputs"] == ["HOLD"]
    assert waiter_end[-1]["outputs"] == ["NEXT"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        pytest.param("GET", "api/greet", 405, "bad_method", id="get-an-endpoint"),
        pytest.param("POST", "api", 405, "bad_method", id="post-the-list"),
        pytest.param("POST", "api/", 404, "unknown_endpoint", id="no-name"),
        pytest.param("POST", "api/greet/", 404, "unknown_endpoint", id="deeper"),
    ],
)
async def test_paths_and_methods_that_serve_nothing_still_answer_json(
    launch: Apps,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    status: int,
    code: str,
) -> None:
    url = launch(endpoints_app(Calls()))

    async with http.request(method, f"{url}{path}", json={"data": ["Ada"]}) as answer:
        body = await answer.json()

        assert (answer.status, answer.content_type) == (status, "application/json")
    assert body["code"] == code


async def test_a_body_that_cannot_be_decompressed_answers_400(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A body claiming gzip that is not gzip is the caller's error, in JSON."""
    calls = Calls()
    url = launch(endpoints_app(calls))

    status, answer = await post(
        http, url, "greet", b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )

    assert status == 400
    assert answer["code"] == "bad_message"
    assert answer["error"].startswith("the body cannot be read")
    assert calls.threads == []


async def test_direct_calls_run_at_most_max_direct_runs_at_once(
    launch: Apps, http: aiohttp.ClientSession
) -> None:
    """A burst of calls to a slow function leaves worker threads for the sessions."""
    from reactive_blocks.transport._rest import MAX_DIRECT_RUNS

    running = InFlight()
    with gr.Blocks() as demo:
        out = gr.Textbox()

        def slow() -> str:
            with running:
                time.sleep(0.3)
            return "done"

        gr.Button().click(slow, None, out, concurrency_limit=None)
    url = launch(demo.queue(api_open=True))

    answers = await asyncio.gather(
        *(post(http, url, "slow", {"data": []}) for _ in range(MAX_DIRECT_RUNS + 8))
    )

    assert {status for status, _ in answers} == {200}
    assert running.peak == MAX_DIRECT_RUNS


def serve_shown(launch: Apps, show: Callable[[str], Any] = lambda path: path) -> str:
    """Serve listener 'show': ``show`` of the path typed, into Image 'Shown'."""
    with gr.Blocks() as demo:
        path = gr.Textbox(label="Path")
        shown = gr.Image(label="Shown")
        gr.Button().click(show, path, shown, api_name="show")
    return launch(demo.queue(api_open=True), show_error=True)


async def ask_to_show(http: aiohttp.ClientSession, url: str, path: Path) -> Answer:
    """Call 'show' of ``serve_shown`` over the HTTP API with ``path``."""
    return await post(http, url, "show", {"data": [str(path)]})


def png_sent(answer: Answer) -> bytes:
    """The bytes of a PNG that an answer's one output carries."""
    head, _, payload = answer[1]["data"][0].partition(",")
    assert head == "data:image/png;base64"
    return base64.b64decode(payload)


async def test_an_image_path_is_sent_only_from_the_working_or_temp_directory(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A returned PNG in the temp directory arrives; /etc/passwd is refused.

    The path could come from the user, and the server would read and send
    whatever it names.
    """
    png = tmp_path / "dot.png"
    PIL.Image.new("RGB", (2, 1), (9, 8, 7)).save(png)
    url = serve_shown(launch)

    refused = await ask_to_show(http, url, Path("/etc/passwd"))
    sent = await ask_to_show(http, url, png)

    assert refused[0] == 500
    assert refused[1]["error"].startswith(
        "OutputError: listener 'show': Image 'Shown' cannot send /etc/passwd: a "
        "function may return files in "
    )
    assert "root:" not in str(refused[1])
    assert sent[0] == 200
    assert png_sent(sent) == png.read_bytes()


async def test_a_named_pipe_or_a_huge_file_is_refused_without_reading_it(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """An async listener's path is refused at once, before anything is read.

    Its conversion runs on the loop: reading a pipe held every session until
    someone wrote to it, and a 2 GiB file took seconds and gigabytes.
    """
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.truncate(2 * 1024**3)  # sparse: no disk space used

    async def show(chosen: str) -> str:
        return chosen

    url = serve_shown(launch, show)

    piped = await ask_to_show(http, url, pipe)
    sized = await ask_to_show(http, url, huge)

    assert piped == (
        500,
        {
            "error": f"OutputError: listener 'show': Image 'Shown' cannot send {pipe}: "
            "it is not a regular file",
            "code": "internal",
        },
    )
    assert sized[1]["error"] == (
        f"OutputError: listener 'show': Image 'Shown' cannot send {huge}: "
        "2,147,483,648 bytes is above the limit of 268,435,456"
    )


async def test_a_returned_image_is_decoded_whole_and_sent_as_browsers_show_it(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A cut JPEG, a sparse giant PNG and padding are refused; a TIFF goes as PNG."""
    noise = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    jpeg = io.BytesIO()
    PIL.Image.fromarray(noise).save(jpeg, "JPEG")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    giant = tmp_path / "giant.png"  # a 7000x7000 header, nearly no pixels
    PIL.Image.new("L", (7000, 7000)).save(giant)
    with giant.open("r+b") as file:
        file.truncate(200)
        file.seek(0, 2)
        file.truncate(150 * 1024 * 1024)
    padded = tmp_path / "padded.png"
    PIL.Image.new("RGB", (4, 4)).save(padded)
    with padded.open("ab") as file:
        file.write(bytes(2 * 1024 * 1024))
    tiff = tmp_path / "pixels.tiff"
    PIL.Image.fromarray(noise).save(tiff)
    url = serve_shown(launch)

    answers = [
        await ask_to_show(http, url, name) for name in (cut, giant, padded, tiff)
    ]

    prefix = "OutputError: listener 'show': Image 'Shown'"
    assert [status for status, _ in answers] == [500, 500, 500, 200]
    assert answers[0][1]["error"].startswith(f"{prefix}: {cut} is not an image (")
    assert answers[1][1]["error"] == (
        f"{prefix} cannot send {giant}: 157,286,400 bytes is more than an image of "
        "7000x7000 pixels holds"
    )
    assert answers[2][1]["error"] == (
        f"{prefix} cannot send {padded}: {padded.stat().st_size:,} bytes is more "
        "than an image of 4x4 pixels holds"
    )
    with PIL.Image.open(io.BytesIO(png_sent(answers[3]))) as image:
        assert np.asarray(image).tolist() == noise.tolist()


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
async def test_data_after_the_image_end_is_not_sent(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path, kind: str
) -> None:
    """A large image with 5 MiB after its end goes as a PNG of the image alone.

    The padding fits what an image of its size may hold, so the file is not
    refused; it is sent without what follows the image (a phone's appended
    video, or padding).
    """
    padded = tmp_path / f"padded.{kind.lower()}"
    PIL.Image.new("L", (2000, 2000), 7).save(padded, kind)
    with padded.open("ab") as file:
        file.write(os.urandom(5 * 1024 * 1024))
    url = serve_shown(launch)

    answer = await ask_to_show(http, url, padded)

    assert answer[0] == 200
    sent = png_sent(answer)
    assert len(sent) < 1024 * 1024
    with PIL.Image.open(io.BytesIO(sent)) as image:
        corner = image.convert("L").getpixel((1999, 1999))
        assert (image.size, corner) == ((2000, 2000), 7)


async def test_a_returned_file_that_is_no_image_is_refused(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A text file in the temp directory is not sent as an image."""
    notes = tmp_path / "notes.png"
    notes.write_text("secret notes")
    url = serve_shown(launch)

    status, body = await ask_to_show(http, url, notes)

    assert status == 500
    assert body["error"] == (
        f"OutputError: listener 'show': Image 'Shown': {notes} is not an image "
        "(no image header the server knows in its first 4 MiB)"
    )


async def test_an_image_padded_far_beyond_its_pixels_is_refused(
    launch: Apps, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A 4x4 PNG grown to 40 MiB would send 40 MiB of padding as an image."""
    padded = tmp_path / "padded.png"
    PIL.Image.new("RGB", (4, 4)).save(padded)
    with padded.open("r+b") as file:
        file.truncate(40 * 1024**2)
    url = serve_shown(launch)

    status, body = await ask_to_show(http, url, padded)

    assert status == 500
    assert body["error"] == (
        f"OutputError: listener 'show': Image 'Shown' cannot send {padded}: "
        "41,943,040 bytes is more than an image of 4x4 pixels holds"
    )
