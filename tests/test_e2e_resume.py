"""The page resumes its session after a network cut, in Chromium, through a relay."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Final, TypeVar

import e2e_support
import pytest
from relay import Relay

import reactive_blocks as gr

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Locator, Page, expect

browser = e2e_support.browser
context = e2e_support.context
page = e2e_support.page

#: Seconds a thread-crossing call or a server-side condition may take.
TIMEOUT: Final = 10.0
#: How long reconnections are refused after the cut.
OUTAGE: Final = 1.5
#: A clean close must end the session at once, far inside the grace period.
CLEAN_CLOSE: Final = 1.0

T = TypeVar("T")


class RelayThread:
    """A ``Relay`` on an event loop of its own thread, driven from the test."""

    def __init__(self, target_port: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.relay = self._run(Relay(target_port).start())

    @property
    def url(self) -> str:
        return self.relay.url

    def cut(self) -> None:
        """Drop every connection without a close frame and refuse new ones."""
        self._call(lambda: (self.relay.refuse(True), self.relay.cut()))

    def restore(self) -> None:
        """Accept connections again."""
        self._call(lambda: self.relay.refuse(False))

    def refused(self) -> int:
        return self._call(lambda: self.relay.refused)

    def close(self) -> None:
        self._run(self.relay.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT)
        self._loop.close()

    def _call(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return self._run(call())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(TIMEOUT)


class EchoApp:
    """A textbox echoed into another, counting the sessions begun and ended."""

    def __init__(self, reconnect_grace: float) -> None:
        self.loads = 0
        self.unloads = 0
        with gr.Blocks() as demo:
            text = gr.Textbox(label="Text")
            echo = gr.Textbox(label="Echo")
            text.change(lambda value: f"echo:{value}", text, echo)
            demo.load(self._loaded)
            demo.unload(self._unloaded)
        demo.launch(
            prevent_thread_lock=True,
            server_name="127.0.0.1",
            server_port=0,
            quiet=True,
            reconnect_grace=reconnect_grace,
        )
        self.demo = demo
        assert demo.server_port is not None
        self.relay = RelayThread(demo.server_port)

    def _loaded(self) -> None:
        self.loads += 1

    def _unloaded(self) -> None:
        self.unloads += 1

    def close(self) -> None:
        self.relay.close()
        self.demo.close()


Serve = Callable[[float], EchoApp]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Serve echo apps behind relays; every one is closed after the test.

    Tests ask for it before ``page``, so that the tab closes before its app stops.
    """
    started: list[EchoApp] = []

    def start(reconnect_grace: float) -> EchoApp:
        app = EchoApp(reconnect_grace)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not reached within {timeout} s"
        time.sleep(0.01)


def open_app(page: Page, app: EchoApp) -> tuple[Locator, Locator]:
    """Load the page through the relay; returns the text box and the echo."""
    page.goto(app.relay.url)
    return rendered(page)


def rendered(page: Page) -> tuple[Locator, Locator]:
    """Wait until the socket has rendered the app; returns the two boxes."""
    expect(page.locator("#app > .rb-blocks")).to_be_visible()
    return page.get_by_label("Text", exact=True), page.get_by_label("Echo", exact=True)


def test_edits_made_while_disconnected_reach_the_same_session(
    serve: Serve, page: Page
) -> None:
    """Text typed during a cut is sent on resume, into the session the page had."""
    app = serve(30)
    text, echo = open_app(page, app)
    text.press_sequentially("hello")
    expect(echo).to_have_value("echo:hello")

    cut_at = time.monotonic()
    app.relay.cut()
    notice = page.locator(".rb-reconnecting")
    expect(notice).to_have_text("Reconnecting…")
    expect(notice).to_have_attribute("role", "status")
    text.press_sequentially(" world")
    expect(text).to_have_value("hello world")
    page.wait_for_timeout(max(0.0, OUTAGE - (time.monotonic() - cut_at)) * 1000)
    assert app.relay.refused() >= 1, "the page did not try to reconnect"
    app.relay.restore()

    expect(notice).to_be_hidden()
    expect(echo).to_have_value("echo:hello world")
    expect(text).to_have_value("hello world")
    assert (app.loads, app.unloads) == (1, 0)


def test_a_session_gone_after_its_grace_offers_a_reload(
    serve: Serve, page: Page
) -> None:
    """Past the grace period the page says so, and its Reload button starts anew."""
    app = serve(1)
    text, echo = open_app(page, app)
    text.press_sequentially("hi")
    expect(echo).to_have_value("echo:hi")

    app.relay.cut()
    expect(page.locator(".rb-reconnecting")).to_have_text("Reconnecting…")
    wait_until(lambda: app.unloads == 1)
    app.relay.restore()

    expired = page.locator(".rb-expired")
    expect(expired).to_contain_text("Session expired")
    expect(expired).to_have_attribute("role", "alert")
    expect(page.locator(".rb-reconnecting")).to_be_hidden()
    expect(page.locator(".rb-app")).to_have_attribute("inert", "")
    expired.get_by_role("button", name="Reload").click()

    expect(page.locator(".rb-expired")).to_have_count(0)
    text, echo = rendered(page)
    text.press_sequentially("again")
    expect(echo).to_have_value("echo:again")
    assert (app.loads, app.unloads) == (2, 1)


def test_closing_the_page_ends_its_session_at_once(serve: Serve, page: Page) -> None:
    """Closing the tab closes its socket cleanly: unload fires once, at once."""
    app = serve(30)
    open_app(page, app)
    wait_until(lambda: app.loads == 1)

    page.close()
    wait_until(lambda: app.unloads >= 1, timeout=CLEAN_CLOSE)
    assert (app.loads, app.unloads) == (1, 1)
