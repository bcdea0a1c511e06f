"""``launch()``: serve an app from a thread of its own, and stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from reactive_blocks.declaration import Blocks
from reactive_blocks.errors import NotSupportedError
from reactive_blocks.log import transport_logger as log
from reactive_blocks.session import Runtime
from reactive_blocks.transport._app import SOCKET_ROUTE, TABS, build_app
from reactive_blocks.transport._auth import Login
from reactive_blocks.transport._handshake import FirstRequest
from reactive_blocks.transport._socket import SocketLimits

FIRST_PORT: Final = 7860
PORTS_TRIED: Final = 100

#: Parameters of Gradio's launch() not built yet, with the value that is
#: accepted because it asks for nothing.
_NOT_YET: Final[dict[str, Any]] = {
    "inline": (None, False),
    "height": (500,),
    "width": ("100%",),
    "ssl_keyfile": (None,),
    "ssl_certfile": (None,),
    "ssl_keyfile_password": (None,),
    "ssl_verify": (True,),
    "allowed_paths": (None,),
    "blocked_paths": (None,),
    "root_path": (None, ""),
    "app_kwargs": (None,),
    "share_server_address": (None,),
    "share_server_protocol": (None,),
    "auth_dependency": (None,),
    "enable_monitoring": (None, False),
    "node_server_name": (None,),
    "node_port": (None,),
    "ssr_mode": (None, False),
    "pwa": (None, False),
    "share_server_tls_certificate": (None,),
    "mcp_server": (None, False),
    "i18n": (None,),
    "theme": (None,),
    "footer_links": (None,),
    "run_history": (None,),
    "num_workers": (None,),
}

#: Environment variables that set a parameter of ``_NOT_YET`` left unset, each
#: with the test of whether its value departs from the default.
_NOT_YET_ENVIRONMENT: Final[dict[str, tuple[str, Callable[[str], bool]]]] = {
    "GRADIO_ALLOWED_PATHS": ("allowed_paths", bool),
    "GRADIO_BLOCKED_PATHS": ("blocked_paths", bool),
    "GRADIO_ROOT_PATH": ("root_path", bool),
    "GRADIO_SSR_MODE": ("ssr_mode", lambda raw: raw.strip().lower() == "true"),
}


class Server:
    """A running app: its server on a thread and event loop of its own."""

    def __init__(
        self, runtime: Runtime, app: web.Application, sock: socket.socket
    ) -> None:
        self.runtime = runtime
        self.port: int = sock.getsockname()[1]
        host = sock.getsockname()[0]
        self.local_url = (
            f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.port}/"
        )
        self._app = app
        self._sock = sock
        self._loop = _new_event_loop()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._thread = threading.Thread(
            target=self._serve, name="reactive_blocks-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()
            self._stopped.set()

    async def _start(self) -> None:
        """Serve on the socket: sockets by ``FirstRequest``, HTTP by aiohttp."""
        self._runner = web.AppRunner(
            self._app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        http = self._runner.server
        assert http is not None
        route = self._app[SOCKET_ROUTE]
        self._listener = await asyncio.get_running_loop().create_server(
            lambda: FirstRequest(http, route), sock=self._sock
        )

    def close(self) -> None:
        """Close every socket (each session ends, unload fires), then stop."""
        if self._stopped.is_set() or not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        await self._app[TABS].close_all()
        await self.runtime.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def wait(self) -> None:
        """Block the calling thread until the server stops or Ctrl-C."""
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            print("Keyboard interruption in main thread... closing server.")
            self.close()


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed, else asyncio's.

    uvloop cuts the per-message cost of the socket path; it is optional so
    that installing reactive_blocks needs no compiled extension.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def launch(
    blocks: Blocks,
    *,
    inbrowser: bool = False,
    share: bool | None = None,
    debug: bool = False,
    max_threads: int = 40,
    auth: Any = None,
    auth_message: str | None = None,
    prevent_thread_lock: bool = False,
    show_error: bool = False,
    server_name: str | None = None,
    server_port: int | None = None,
    favicon_path: str | None = None,
    quiet: bool = False,
    show_api: bool = True,
    max_file_size: str | int | None = None,
    state_session_capacity: int = 10000,
    strict_cors: bool = True,
    reconnect_grace: float = 60.0,
    heartbeat: float = 15.0,
    css: str | None = None,
    css_paths: str | Path | list[str | Path] | None = None,
    js: str | None = None,
    head: str | None = None,
    head_paths: str | Path | list[str | Path] | None = None,
    **not_yet: Any,
) -> tuple[web.Application, str, None]:
    """Serve ``blocks`` on ``http://server_name:server_port/``.

    Args mirror Gradio's ``launch()``; those not listed here raise
    ``NotSupportedError`` unless left at their defaults. ``share=True``
    cannot make a public link (that needs a tunnel service reactive_blocks
    does not provide): it logs a warning and serves on the local URL, as
    Gradio does when its share server is out of reach. ``show_api=False``
    empties the endpoint list of ``GET api`` (see ``Blocks.queue(api_open=)``);
    there is no API page. ``max_file_size`` limits each uploaded file, as in
    Gradio: the page refuses a larger one before sending it, and the server
    refuses it with a ``too_large`` error. Whatever it says, one message on
    the socket (an upload with its message) may hold 16 MiB at most.
    ``css``, ``css_paths``, ``js``, ``head`` and ``head_paths`` add to the
    page what ``Blocks`` takes under the same names, as Gradio 6 takes them
    here (``Blocks.page_with``).
    ``debug=True``, or ``GRADIO_DEBUG=1`` in the environment, blocks the
    calling thread even with ``prevent_thread_lock=True``, as in Gradio.

    Two options are reactive_blocks' own: ``reconnect_grace`` (seconds a
    session whose connection was lost without a close frame waits for its
    client to resume it; 0 ends it at once) and ``heartbeat`` (seconds
    between the server's pings; a peer from which nothing, not even a
    pong, arrives for 1 to 1.5 heartbeats is taken as gone, and the pings
    keep proxies with idle timeouts from closing a quiet socket).

    Returns:
        The aiohttp application, the local URL, and None for the share URL.
    """
    _reject_not_yet(not_yet)
    _reject_environment_not_yet(not_yet)
    if blocks.server is not None:
        blocks.close()
    page = blocks.page_with(
        css=css, css_paths=css_paths, js=js, head=head, head_paths=head_paths
    )

    runtime = Runtime(
        blocks.spec(page),
        show_error=show_error,
        max_threads=max_threads,
        state_session_capacity=state_session_capacity,
        reconnect_grace=reconnect_grace,
    )
    runtime.spec.config["show_api"] = show_api
    limits = SocketLimits(
        max_file_size=None if max_file_size is None else parse_size(max_file_size),
        heartbeat=heartbeat,
    )
    # The page refuses what the server would refuse, before sending it.
    runtime.spec.config["max_file_size"] = limits.max_file_size
    runtime.spec.config["max_message"] = limits.max_message
    login = Login(auth, auth_message) if auth is not None else None
    app = build_app(
        runtime,
        login=login,
        favicon_path=favicon_path,
        strict_cors=strict_cors,
        limits=limits,
    )

    host = server_name or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = server_port if server_port is not None else _env_port()
    server = Server(runtime, app, _bind(host, port))
    server.start()
    blocks.server = server

    _announce(
        server.local_url, quiet, share or os.environ.get("GRADIO_SHARE") == "True"
    )
    if inbrowser:
        webbrowser.open(server.local_url)
    if (
        debug
        or os.environ.get("GRADIO_DEBUG", "").strip() == "1"
        or not prevent_thread_lock
    ):
        server.wait()
    return app, server.local_url, None


def _reject_not_yet(options: dict[str, Any]) -> None:
    for name, value in options.items():
        if name not in _NOT_YET:
            raise TypeError(f"launch() got an unexpected keyword argument '{name}'")
        if value not in _NOT_YET[name]:
            raise NotSupportedError("launch", name)


def _reject_environment_not_yet(passed: dict[str, Any]) -> None:
    """A variable setting a parameter we lack is refused as the parameter is.

    As in Gradio, the variable is read when the parameter is left unset
    (None, or an empty root path); a value passed to ``launch()`` wins.
    """
    for variable, (parameter, departs) in _NOT_YET_ENVIRONMENT.items():
        raw = os.environ.get(variable, "")
        if passed.get(parameter) in (None, "") and departs(raw):
            raise NotSupportedError(
                "launch", parameter, f"it was set by {variable}={raw!r}"
            )


def _env_port() -> int | None:
    raw = os.environ.get("GRADIO_SERVER_PORT")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"GRADIO_SERVER_PORT={raw!r} is not a port number") from None


def _bind(host: str, port: int | None) -> socket.socket:
    """A listening socket on ``port``, or the first free one from 7860."""
    candidates = (
        [port] if port is not None else range(FIRST_PORT, FIRST_PORT + PORTS_TRIED)
    )
    last_error: OSError | None = None
    for candidate in candidates:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        sock.listen(1024)
        sock.setblocking(False)
        return sock
    where = (
        f"port {port}"
        if port is not None
        else f"ports {FIRST_PORT}-{FIRST_PORT + PORTS_TRIED - 1}"
    )
    raise OSError(
        f"cannot serve on {host}, {where}: {last_error}; pick another server_port"
    )


_UNITS: Final = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


def parse_size(size: str | int) -> int:
    """Bytes in ``size``: an int, or text like ``"5mb"``."""
    if isinstance(size, int):
        return size
    text = size.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit) and text[: -len(unit)].strip().isdigit():
            return int(text[: -len(unit)]) * _UNITS[unit]
    if text.isdigit():
        return int(text)
    raise ValueError(f"max_file_size={size!r} is not a size like 10, '5kb' or '2mb'")


def _announce(url: str, quiet: bool, share: bool) -> None:
    log.info("Running on local URL:  %s", url)
    if not quiet:
        print(f"* Running on local URL:  {url}", flush=True)
    if share:
        log.warning(
            "share links need a tunnel service, which reactive_blocks does not "
            "provide; the app is served on the local URL only"
        )
