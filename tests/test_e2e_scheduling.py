"""Streaming, cancelling, always_last, timers and progress, driven in Chromium."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import e2e_support
import pytest
from e2e_support import EXAMPLES, AppProcess

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import BrowserContext, Locator, Page, expect

browser = e2e_support.browser
context = e2e_support.context
page = e2e_support.page

#: What stream_text.py writes for its default prompt, word by word.
STREAMED: Final = "You asked about streaming. Here is a long answer, word by word. "
#: What stream_chat.py replies, token by token.
REPLY: Final = "Thanks for your message! Streaming this reply one token at a time."
#: Seconds the server gets to print what a test waits for.
LINE_TIMEOUT: Final = 10.0

# The variants below are examples cut down to what one test checks; they print
# markers to stdout, so that the test can count what the server ran.
STREAM_CLOSING: Final = """\
import time

import reactive_blocks as gr


def write(prompt):
    text = ""
    try:
        for word in f"You asked about {prompt}. Here is a long answer, word by word.".split():
            print("step")
            text += word + " "
            time.sleep(0.15)
            yield text
    finally:
        print("closed")


with gr.Blocks() as demo:
    prompt = gr.Textbox(label="Prompt", value="streaming")
    answer = gr.Textbox(label="Answer", lines=4)
    go = gr.Button("Write", variant="primary")
    stop = gr.Button("Stop", variant="stop")
    writing = go.click(write, prompt, answer)
    stop.click(None, cancels=[writing])

demo.launch()
"""

SLIDER_COUNTING: Final = """\
import time

import reactive_blocks as gr


def square(x):
    print(f"run {x}")
    # Four times the example's sleep, so that a drag sends several positions
    # per run even when a busy machine slows the drag down.
    time.sleep(0.2)
    return f"{x} squared is {x * x}"


with gr.Blocks() as demo:
    slider = gr.Slider(0, 100, value=0, step=1, label="Value")
    result = gr.Textbox(label="Result")
    slider.change(square, slider, result)

demo.launch()
"""

TIMER_COUNTING: Final = """\
import reactive_blocks as gr

with gr.Blocks() as demo:
    timer = gr.Timer(0.5)
    count = gr.State(0)
    shown = gr.Textbox(label="Ticks", value="0")

    def tick(n):
        print("tick")
        return n + 1, str(n + 1)

    timer.tick(tick, count, [count, shown])
    demo.unload(lambda: print("unloaded"))

demo.launch()
"""

#: Thirty words at 0.15 s each: 4.5 s of streaming per tab, time enough to click
#: Write in eight tabs and type in a ninth while the first tab still streams.
STREAM_WORDS: Final = [f"w{i}" for i in range(1, 31)]
STREAM_MANY: Final = f"""\
import time

import reactive_blocks as gr

WORDS = {STREAM_WORDS!r}


def write(prompt):
    print("started")
    text = ""
    for word in WORDS:
        text += word + " "
        time.sleep(0.15)
        yield text
    print("finished")


def echo(text):
    print(f"echo {{text}}")
    return text


with gr.Blocks() as demo:
    prompt = gr.Textbox(label="Prompt")
    echoed = gr.Textbox(label="Echo")
    answer = gr.Textbox(label="Answer", lines=4)
    go = gr.Button("Write")
    go.click(write, prompt, answer, concurrency_limit=None)
    prompt.change(echo, prompt, echoed)

demo.launch()
"""

VARIANTS: Final = {
    "stream_closing": STREAM_CLOSING,
    "slider_counting": SLIDER_COUNTING,
    "timer_counting": TIMER_COUNTING,
    "stream_many": STREAM_MANY,
}
EXAMPLE_APPS: Final = (
    "stream_text",
    "slider_storm",
    "typing_writeback",
    "timer_counter",
    "progress_bar",
    "stream_chat",
)
#: Apps starting at once. Importing the package costs about a CPU second, so
#: ten at once on two cores would keep the first test waiting for all of them.
STARTING_AT_ONCE: Final = 2


class Fleet:
    """Apps started in the background, in the order the tests will open them.

    Each app serves one test, so no test counts lines another test's tabs
    made the app print; progress_bar serves two, which count nothing.
    """

    def __init__(self, scripts: dict[str, Path]) -> None:
        self._apps: list[AppProcess] = []
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(STARTING_AT_ONCE, "app-start")
        self._started = {
            name: self._pool.submit(self._start, script)
            for name, script in scripts.items()
        }

    def _start(self, script: Path) -> AppProcess:
        app = AppProcess(script)
        with self._lock:
            self._apps.append(app)
        return app.start()

    def __getitem__(self, name: str) -> AppProcess:
        return self._started[name].result()

    def stop(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        for app in self._apps:
            app.stop()


@pytest.fixture(scope="module")
def apps(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    """The apps that this module's selected tests take as fixtures, started
    ahead of them and stopped after the module."""
    folder = tmp_path_factory.mktemp("apps")
    scripts: dict[str, Path] = {}
    for item in request.session.items:
        if not isinstance(item, pytest.Function) or item.module is not request.module:
            continue
        for name in item.fixturenames:
            if name in EXAMPLE_APPS:
                scripts.setdefault(name, EXAMPLES / f"{name}.py")
            elif name in VARIANTS and name not in scripts:
                scripts[name] = folder / f"{name}.py"
                scripts[name].write_text(VARIANTS[name], encoding="utf-8")
    fleet = Fleet(scripts)
    try:
        yield fleet
    finally:
        fleet.stop()


def served(name: str) -> Any:
    """A fixture giving the started app ``name``."""

    @pytest.fixture(name=name)
    def app(apps: Fleet) -> AppProcess:
        return apps[name]

    return app


stream_text = served("stream_text")
stream_closing = served("stream_closing")
slider_storm = served("slider_storm")
slider_counting = served("slider_counting")
typing_writeback = served("typing_writeback")
timer_counter = served("timer_counter")
timer_counting = served("timer_counting")
progress_bar = served("progress_bar")
stream_chat = served("stream_chat")
stream_many = served("stream_many")


def open_app(page: Page, app: AppProcess) -> None:
    """Loads the app's page and waits until the socket has rendered it."""
    page.goto(app.url)
    expect(page.locator("#app > .rb-blocks")).to_be_visible()


def record(page: Page, selector: str) -> None:
    """Notes, every frame, each new value or text of the element at ``selector``."""
    page.evaluate(
        """(selector) => {
            const seen = (window.rbSeen = []);
            const look = () => {
                const element = document.querySelector(selector);
                if (element) {
                    const now = "value" in element ? element.value : element.textContent;
                    if (seen[seen.length - 1] !== now) seen.push(now);
                }
                requestAnimationFrame(look);
            };
            look();
        }""",
        selector,
    )


def wait_for_growth(page: Page) -> None:
    """Waits until the recorded element has shown two different non-empty values."""
    page.wait_for_function(
        "() => window.rbSeen.filter((seen) => seen.trim() !== '').length >= 2"
    )


def recorded(page: Page) -> list[str]:
    """The non-empty values :func:`record` has noted, in order, up to now.

    The recorder looks once a frame, so what the page shows now is noted
    only at the next frame: the list is read two frames later.
    """
    seen: list[str] = page.evaluate(
        """() => new Promise((resolve) => requestAnimationFrame(
            () => requestAnimationFrame(() => resolve(window.rbSeen))
        ))"""
    )
    return [value for value in seen if value.strip()]


def steady_value(field: Locator, seconds: float, within: float) -> str:
    """The field's value once it held still for ``seconds``, which must happen
    within ``within`` seconds; a value that keeps changing fails the test."""
    handle = field.element_handle()
    assert handle is not None
    handle.evaluate("(element) => { delete element.rbSteady; }")
    held = field.page.wait_for_function(
        """([element, ms]) => {
            const now = performance.now();
            const last = element.rbSteady;
            if (!last || last.value !== element.value) {
                element.rbSteady = { value: element.value, since: now };
                return false;
            }
            return now - last.since >= ms ? { value: last.value } : false;
        }""",
        arg=[handle, seconds * 1000],
        polling=50,
        timeout=within * 1000,
    )
    value: dict[str, Any] = held.json_value()
    return str(value["value"])


def words_prefix(text: str, count: int) -> str:
    """The first ``count`` words of ``text``, each followed by one space."""
    return "".join(word + " " for word in text.split()[:count])


def test_stop_halts_the_streamed_answer(page: Page, stream_text: AppProcess) -> None:
    """Write streams a growing answer and Stop freezes it before its end."""
    open_app(page, stream_text)
    answer = page.get_by_label("Answer")
    expect(answer).to_have_value("")
    record(page, f"#{answer.get_attribute('id')}")

    page.get_by_role("button", name="Write").click()
    wait_for_growth(page)
    page.get_by_role("button", name="Stop").click()

    stopped = steady_value(answer, 1.0, within=4.0)
    count = len(stopped.split())
    assert stopped == words_prefix(STREAMED, count)
    assert 2 <= count < len(STREAMED.split())
    grown = recorded(page)
    assert grown == [words_prefix(STREAMED, len(text.split())) for text in grown]
    assert len(grown) >= 2
    assert grown[-1] == stopped


def test_stop_closes_the_generator_once(page: Page, stream_closing: AppProcess) -> None:
    """Stop closes the running generator exactly once, and it yields no more."""
    open_app(page, stream_closing)
    answer = page.get_by_label("Answer")
    record(page, f"#{answer.get_attribute('id')}")

    page.get_by_role("button", name="Write").click()
    wait_for_growth(page)
    page.get_by_role("button", name="Stop").click()

    stream_closing.wait_for_line(lambda line: line == "closed", LINE_TIMEOUT)
    stopped = steady_value(answer, 1.0, within=4.0)
    lines = stream_closing.stop()
    assert lines.count("closed") == 1, lines
    steps = lines.count("step")
    assert 2 <= steps < len(STREAMED.split()), lines
    assert "step" not in lines[lines.index("closed") :], lines
    assert stopped == words_prefix(STREAMED, len(stopped.split()))
    assert 2 <= len(stopped.split()) <= steps


def drag_across(page: Page, slider: Locator) -> None:
    """Drags the slider's thumb from its left end past its right end, back past
    its left end and right again, with the mouse held down throughout."""
    box = slider.bounding_box()
    assert box is not None
    left, right = box["x"] - 20, box["x"] + box["width"] + 20
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    for x in (right, left, right):
        page.mouse.move(x, y, steps=20)
    page.mouse.up()


def test_dragged_slider_ends_on_the_last_position(
    page: Page, slider_storm: AppProcess
) -> None:
    """After a fast drag and three arrow presses, Result is exact for 97."""
    open_app(page, slider_storm)
    slider = page.get_by_role("slider", name="Value")
    result = page.get_by_label("Result")
    expect(slider).to_have_value("0")

    drag_across(page, slider)
    expect(slider).to_have_value("100")
    for _ in range(3):
        slider.press("ArrowLeft")

    expect(slider).to_have_value("97")
    expect(page.get_by_role("spinbutton", name="Value")).to_have_value("97")
    expect(result).to_have_value("97 squared is 9409")


def test_a_typed_value_off_the_step_is_sent_as_the_step_it_shows(
    page: Page, slider_storm: AppProcess
) -> None:
    """2.5 typed into a step-1 slider shows 3 in both inputs, and 3 is computed."""
    open_app(page, slider_storm)
    number = page.get_by_role("spinbutton", name="Value")

    number.fill("2.5")
    number.press("Enter")

    expect(page.get_by_role("slider", name="Value")).to_have_value("3")
    expect(number).to_have_value("3")
    expect(page.get_by_label("Result")).to_have_value("3 squared is 9")


def slide_by_frames(slider: Locator, positions: list[int]) -> None:
    """Moves the slider through ``positions``, one per animation frame with an
    input event each, as a fast drag does, then lets go of it."""
    slider.evaluate(
        """(range, positions) => new Promise((done) => {
            let next = 0;
            const move = () => {
                if (next === positions.length) {
                    range.dispatchEvent(new Event("change", { bubbles: true }));
                    done();
                    return;
                }
                range.value = String(positions[next++]);
                range.dispatchEvent(new Event("input", { bubbles: true }));
                requestAnimationFrame(move);
            };
            requestAnimationFrame(move);
        })""",
        positions,
    )


def test_always_last_runs_far_fewer_times_than_positions_sent(
    page: Page, slider_counting: AppProcess
) -> None:
    """Sixty positions sent a frame apart run the slow listener under half as often."""
    page.add_init_script(
        """
        window.rbSets = 0;
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
            if (typeof data === "string" && JSON.parse(data).type === "set") {
                window.rbSets += 1;
            }
            return send.call(this, data);
        };
        """
    )
    open_app(page, slider_counting)
    slider = page.get_by_role("slider", name="Value")
    right = list(range(5, 101, 5))
    positions = [*right, *reversed([0, *right[:-1]]), *right]

    slide_by_frames(slider, positions)

    expect(page.get_by_label("Result")).to_have_value("100 squared is 10000")
    sets = page.evaluate("() => window.rbSets")
    runs = [line for line in slider_counting.stdout_lines if line.startswith("run ")]
    assert sets == len(positions) == 60
    assert 1 <= len(runs) < sets / 2, (len(runs), sets)
    assert runs[-1] == "run 100"


def test_fast_typing_is_upper_cased_without_losing_a_key(
    page: Page, typing_writeback: AppProcess
) -> None:
    """Typing a phrase at 10 ms a key into the write-back box loses no character."""
    open_app(page, typing_writeback)
    box = page.get_by_label("Type here (it is upper-cased as you type)")

    box.press_sequentially("the quick brown fox", delay=10)

    expect(box).to_have_value("THE QUICK BROWN FOX")


def wait_for_count(field: Locator, at_least: int) -> None:
    """Waits until the field shows a whole number of at least ``at_least``."""
    field.page.wait_for_function(
        "([element, least]) => Number(element.value) >= least",
        arg=[field.element_handle(), at_least],
        polling="raf",
    )


def test_timer_ticks_pauses_and_resumes(page: Page, timer_counter: AppProcess) -> None:
    """Ticks counts up one by one, holds still while paused, and counts on after."""
    open_app(page, timer_counter)
    ticks = page.get_by_label("Ticks")
    record(page, f"#{ticks.get_attribute('id')}")

    wait_for_count(ticks, 3)
    page.get_by_role("button", name="Pause").click()
    paused = int(steady_value(ticks, 1.5, within=4.0))
    page.get_by_role("button", name="Resume").click()
    wait_for_count(ticks, paused + 2)

    shown = [int(value) for value in recorded(page)]
    assert shown == list(range(shown[0], shown[-1] + 1))
    assert shown[-1] >= paused + 2 >= 5


def test_closing_the_tab_stops_its_timer(
    context: BrowserContext, timer_counting: AppProcess
) -> None:
    """Once the tab is closed and unloaded, its timer runs no more ticks."""
    tab = context.new_page()
    open_app(tab, timer_counting)
    wait_for_count(tab.get_by_label("Ticks"), 2)

    tab.close()
    timer_counting.wait_for_line(lambda line: line == "unloaded", LINE_TIMEOUT)
    ticked = timer_counting.stdout_lines.count("tick")
    time.sleep(1.5)  # three intervals in which a live timer would tick

    assert ticked >= 2
    assert timer_counting.stdout_lines.count("tick") == ticked


def test_progress_bar_fills_then_goes(page: Page, progress_bar: AppProcess) -> None:
    """Count shows a progress bar whose value rises before the result, then hides."""
    open_app(page, progress_bar)
    result = page.get_by_label("Result")

    page.get_by_role("button", name="Count").click()

    bar = page.locator(".rb-progress")
    expect(bar).to_have_count(1)
    expect(bar).to_have_attribute("role", "progressbar")
    expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^\d+$"))
    first = int(bar.get_attribute("aria-valuenow") or "")
    later = page.wait_for_function(
        """([first, result]) => {
            const bar = document.querySelector(".rb-progress");
            const now = bar && Number(bar.getAttribute("aria-valuenow"));
            if (!(now > first)) return false;
            const text = bar.getAttribute("aria-valuetext");
            return { now, text, result: result.value };
        }""",
        arg=[first, result.element_handle()],
    ).json_value()
    assert later["result"] == ""
    assert first < later["now"] <= 100
    counted = re.fullmatch(r"Counting (\d+)/16 steps", later["text"])
    assert counted is not None, later
    # The page rounds halves up, as JavaScript's Math.round does.
    assert later["now"] == math.floor(int(counted[1]) / 16 * 100 + 0.5)

    expect(result).to_have_value("13 letters")
    expect(bar).to_have_count(0)


def test_no_letters_warns_in_a_toast(page: Page, progress_bar: AppProcess) -> None:
    """Counting "123" ends with "0 letters" and a warning toast saying why."""
    open_app(page, progress_bar)
    text = page.get_by_label("Text")
    text.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("123")
    expect(text).to_have_value("123")

    page.get_by_role("button", name="Count").click()

    toast = page.locator(".rb-toast-warning")
    expect(toast).to_have_count(1)
    expect(toast).to_have_attribute("role", "status")
    expect(toast.locator(".rb-toast-title")).to_have_text("Warning")
    expect(toast.locator(".rb-toast-message")).to_have_text(
        "There were no letters to count."
    )
    expect(page.get_by_label("Result")).to_have_value("0 letters")


def test_chat_reply_streams_to_the_full_text(
    page: Page, stream_chat: AppProcess
) -> None:
    """A sent message shows as the user's bubble and the reply grows to its end."""
    open_app(page, stream_chat)
    message = page.get_by_label("Message")
    record(page, ".rb-message-assistant")

    message.click()
    page.keyboard.type("Hello there")
    page.keyboard.press("Enter")

    expect(page.locator(".rb-message-user")).to_have_text("Hello there")
    expect(page.locator(".rb-message-assistant")).to_have_text(REPLY)
    expect(page.locator(".rb-message")).to_have_count(2)
    expect(message).to_have_value("")
    grown = [" ".join(text.split()) for text in recorded(page)]
    assert grown == [" ".join(REPLY.split()[: len(t.split())]) for t in grown]
    assert len(grown) >= 2
    assert grown[-1] == REPLY


def test_eight_tabs_stream_while_a_ninth_stays_responsive(
    context: BrowserContext, stream_many: AppProcess
) -> None:
    """Eight tabs stream at once to their exact ends while a ninth's edits run."""
    errors: list[str] = []
    tabs = [context.new_page() for _ in range(9)]
    for tab in tabs:
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto(stream_many.url, wait_until="commit")
    for tab in tabs:
        expect(tab.locator("#app > .rb-blocks")).to_be_visible()
    *streaming, typing = tabs

    for tab in streaming:
        tab.get_by_role("button", name="Write").click()
    stream_many.wait_for_lines("started", 8, LINE_TIMEOUT)
    typing.get_by_label("Prompt").press_sequentially("hello", delay=20)

    expect(typing.get_by_label("Echo")).to_have_value("hello")
    full = words_prefix(" ".join(STREAM_WORDS), len(STREAM_WORDS))
    for tab in streaming:
        expect(tab.get_by_label("Answer")).to_have_value(full)
    stream_many.wait_for_lines("finished", 8, LINE_TIMEOUT)
    lines = stream_many.stdout_lines
    assert lines.count("started") == 8, lines
    assert lines.count("finished") == 8, lines
    # The ninth tab's last edit ran while every stream was still running.
    assert "finished" not in lines[: lines.index("echo hello")], lines
    assert errors == []
