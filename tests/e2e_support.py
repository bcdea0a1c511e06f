"""Shared pieces of the browser tests: app processes on 127.0.0.1 and Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

ROOT: Final = Path(__file__).resolve().parent.parent
EXAMPLES: Final = ROOT / "examples"
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
URL_MARKER: Final = "Running on local URL:"
START_TIMEOUT: Final = 30.0
STOP_TIMEOUT: Final = 15.0
#: Milliseconds Playwright's expect() waits for the page to reach a state.
EXPECT_TIMEOUT_MS: Final = 10_000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class AppProcess:
    """An app script run as a real subprocess, serving on 127.0.0.1.

    Its stdout is read line by line on a thread, so tests can wait for a
    line without blocking on the pipe, and read everything after it exits.
    """

    def __init__(self, script: Path) -> None:
        self.script = script
        self.port = free_port()
        self.url = ""
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._eof = False
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("GRADIO_SHARE", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT")
        }
        env.update(
            GRADIO_SERVER_PORT=str(self.port),
            GRADIO_SERVER_NAME="127.0.0.1",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(
                p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p
            ),
        )
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(script)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # A shell without job control starts background jobs ignoring
            # Ctrl-C; the app must still stop on it as it would in a terminal.
            preexec_fn=_default_sigint,
        )
        self._stderr: list[str] = []
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            threading.Thread(target=self._read_stdout, args=(self.process.stdout,)),
            threading.Thread(target=self._read_stderr, args=(self.process.stderr,)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    def _read_stdout(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self._lines.append(line.rstrip("\r\n"))
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def _read_stderr(self, stream: IO[str]) -> None:
        for line in stream:
            self._stderr.append(line)

    @property
    def stdout_lines(self) -> list[str]:
        """Every line the app printed so far, without line endings."""
        with self._changed:
            return list(self._lines)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def wait_for_line(self, wanted: Callable[[str], bool], timeout: float) -> str:
        """The first stdout line ``wanted`` accepts, waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines:
                    if wanted(line):
                        return line
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    raise AssertionError(
                        f"{self.script.name} printed no matching line in {timeout} s; "
                        f"exit code {self.process.poll()}\nstdout:\n"
                        + "\n".join(self._lines)
                        + f"\nstderr:\n{self.stderr}"
                    )
                self._changed.wait(left)

    def wait_for_lines(self, line: str, count: int, timeout: float) -> None:
        """Waits up to ``timeout`` s until stdout holds ``line`` ``count`` times."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._lines.count(line) < count:
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    raise AssertionError(
                        f"{self.script.name} printed {line!r} "
                        f"{self._lines.count(line)} of {count} times in {timeout} s; "
                        f"exit code {self.process.poll()}\nstdout:\n"
                        + "\n".join(self._lines)
                        + f"\nstderr:\n{self.stderr}"
                    )
                self._changed.wait(left)

    def start(self) -> AppProcess:
        """Waits for the announced local URL and checks it is this port."""
        line = self.wait_for_line(lambda text: URL_MARKER in text, START_TIMEOUT)
        self.url = line.split(URL_MARKER, 1)[1].strip()
        assert self.url == f"http://127.0.0.1:{self.port}/", line
        return self

    def stop(self) -> list[str]:
        """Interrupts the app as Ctrl-C would; returns all it printed to stdout."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        for reader in self._readers:
            reader.join(timeout=STOP_TIMEOUT)
        if self.stderr:
            # Shown by pytest only when the test fails.
            print(f"stderr of {self.script.name}:\n{self.stderr}", file=sys.stderr)
        return self.stdout_lines


@pytest.fixture
def serve() -> Iterator[Callable[[Path], AppProcess]]:
    """Starts app scripts for one test; each is stopped when the test ends."""
    started: list[AppProcess] = []

    def start(script: Path) -> AppProcess:
        app = AppProcess(script)
        started.append(app)
        return app.start()

    try:
        yield start
    finally:
        for app in started:
            app.stop()


def launch_chromium(extra_args: tuple[str, ...] = ()) -> Iterator[Browser]:
    """Headless Debian Chromium, or a skip when it or Playwright is missing."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed; the browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, *extra_args],
            headless=True,
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for every test of a module."""
    yield from launch_chromium()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (cookies, storage) for one test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A new tab in the test's own context that must raise no script error."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))

    def echo(message: ConsoleMessage) -> None:
        # Shown by pytest only when the test fails.
        if message.type in ("error", "warning"):
            print(f"console {message.type}: {message.text}")

    tab.on("console", echo)
    yield tab
    assert errors == [], f"uncaught errors in the page: {errors}"
