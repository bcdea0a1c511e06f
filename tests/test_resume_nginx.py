"""Sessions behind a real nginx whose proxy timeouts are shorter than a listener."""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

import reactive_blocks as gr

if TYPE_CHECKING:
    from tests.conftest import Apps

NGINX: Final = Path("/usr/sbin/nginx")
TIMEOUT: Final = 10.0
#: nginx closes a proxied socket on which nothing moved for this long.
PROXY_TIMEOUT: Final = 2.0

pytestmark = pytest.mark.skipif(
    not NGINX.exists(),
    reason="nginx is not installed at /usr/sbin/nginx (tests/run.sh installs "
    "Debian's nginx package)",
)

CONFIG: Final = """\
daemon off;
worker_processes 1;
{user}
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout {timeout:.0f}s;
            proxy_send_timeout {timeout:.0f}s;
        }}
    }}
}}
"""


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def accepts(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def nginx_to(tmp_path: Path) -> Iterator[Callable[[int], str]]:
    """Start nginx in front of an app's port; returns its URL. Stopped after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(app_port: int) -> str:
        # As root, nginx would run its worker as nobody, which cannot enter
        # tmp_path; keep the worker as the user running the tests.
        user = ""
        if os.geteuid() == 0:
            user = f"user {pwd.getpwuid(os.getuid()).pw_name} "
            user += f"{grp.getgrgid(os.getgid()).gr_name};"
        port = free_port()
        config = tmp_path / "nginx.conf"
        config.write_text(
            CONFIG.format(
                user=user,
                root=tmp_path,
                port=port,
                app_port=app_port,
                timeout=PROXY_TIMEOUT,
            )
        )
        process = subprocess.Popen(
            [NGINX, "-p", tmp_path, "-c", config, "-e", tmp_path / "error.log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)

        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if accepts(port):
                return f"http://127.0.0.1:{port}/"
            time.sleep(0.02)
        log = tmp_path / "error.log"
        pytest.fail(f"nginx did not listen: {log.exists() and log.read_text()}")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(TIMEOUT)


def sleeper(seconds: float) -> gr.Blocks:
    """A listener 'slow' that sleeps ``seconds`` in a thread, then answers."""
    with gr.Blocks() as demo:
        out = gr.Textbox(label="Out")

        def slow() -> str:
            time.sleep(seconds)
            return "done"

        gr.Button().click(slow, None, out)
    return demo


async def test_heartbeats_keep_a_long_listener_on_one_socket(
    launch: Apps, nginx_to: Callable[[int], str]
) -> None:
    """With heartbeat=0.5, a 6 s listener answers through nginx on the first socket."""
    seconds = 3 * PROXY_TIMEOUT
    demo = sleeper(seconds)
    launch(demo, heartbeat=0.5, reconnect_grace=TIMEOUT)
    url = nginx_to(demo.server_port)

    async with gr.AsyncClient(url, reconnect_timeout=TIMEOUT) as client:
        started = time.monotonic()
        result = await asyncio.wait_for(
            client.predict(api_name="slow"), seconds + TIMEOUT
        )

        assert time.monotonic() - started >= seconds
        assert result == "done"
        assert client.values[client.component(label="Out")] == "done"
        assert client.resumes == 0


async def test_without_heartbeats_nginx_drops_the_socket_and_the_session_resumes(
    launch: Apps, nginx_to: Callable[[int], str]
) -> None:
    """With the 15 s default heartbeat, nginx drops the quiet socket; a resume still answers."""
    seconds = 1.5 * PROXY_TIMEOUT
    demo = sleeper(seconds)
    launch(demo, reconnect_grace=TIMEOUT)
    url = nginx_to(demo.server_port)

    async with gr.AsyncClient(url, reconnect_timeout=TIMEOUT) as client:
        result = await asyncio.wait_for(
            client.predict(api_name="slow"), seconds + TIMEOUT
        )

        assert result == "done"
        assert client.resumes == 1
