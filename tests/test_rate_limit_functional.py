"""The socket's rate limit against a real server: refusals name their message."""

from __future__ import annotations

import asyncio
import functools
import struct
import time
from typing import TYPE_CHECKING, Any, Final

import orjson
import pytest

import reactive_blocks as gr
from reactive_blocks.client import _connection
from reactive_blocks.errors import ProtocolError
from reactive_blocks.transport import _server
from reactive_blocks.transport._socket import SocketLimits

if TYPE_CHECKING:
    from tests.conftest import Apps, Message, Sockets

#: Seconds thousands of calls may take together; generous for a loaded machine.
CALLS_TIMEOUT: Final = 120.0
#: The refusal under the limits of ``tight_limits``.
REFUSAL: Final = (
    "too many messages: a socket may send 100 a second, in bursts of up to "
    "200; this one was not handled, send it again after a pause"
)


@pytest.fixture
def tight_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps launched in the test allow 100 messages a second in bursts of 200,
    so that a flood is refused however fast or slow the machine sends it."""
    tight = functools.partial(SocketLimits, rate=100.0, burst=200.0)
    monkeypatch.setattr(_server, "SocketLimits", tight)


def echo_app() -> gr.Blocks:
    """One listener 'echo' that any number of calls may run at once."""
    with gr.Blocks() as demo:
        text = gr.Textbox(label="Text")
        out = gr.Textbox(label="Out")

        async def echo(value: str) -> str:
            return value

        gr.Button().click(
            echo, text, out, trigger_mode="multiple", concurrency_limit=None
        )
    return demo


def binary_ping(ref: int) -> bytes:
    """A ping in a binary frame without parts, as a client with bytes sends it."""
    header = orjson.dumps({"parts": [], "body": {"type": "ping", "ref": ref}})
    return struct.pack(">I", len(header)) + header


async def test_refused_messages_carry_their_ref_and_the_session_carries_on(
    launch: Apps, sockets: Sockets, tight_limits: None
) -> None:
    """A flood above the burst gets one answer per message: a pong or a refusal
    with that message's ref, from text and binary frames alike."""
    sock, _ = await sockets.open(launch(echo_app()))
    count = 1000

    for ref in range(count):
        if ref % 2:
            await sock.send(binary_ping(ref))
        else:
            await sock.send({"type": "ping", "ref": ref})
    answers: list[Message] = []
    while len(answers) < count:
        answers.extend(m for m in await sock.receive() if m["type"] != "ack")

    refused = [m for m in answers if m["type"] == "error"]
    assert sorted(m["ref"] for m in answers) == list(range(count))
    assert {m["type"] for m in answers} == {"pong", "error"}
    assert {(m["code"], m["message"]) for m in refused} == {("rate_limited", REFUSAL)}
    assert {m["ref"] % 2 for m in refused} == {0, 1}

    await asyncio.sleep(0.5)  # the bucket refills 100 a second
    assert [m for m in await sock.ping() if m["type"] != "ack"] == []


async def test_thousands_of_concurrent_predicts_all_complete(launch: Apps) -> None:
    """6,000 predict calls started at once from one client all return their output:
    the client paces itself under the server's limit."""
    async with gr.AsyncClient(launch(echo_app())) as client:
        calls = [client.predict(f"call {i}", api_name="echo") for i in range(6000)]
        started = time.monotonic()
        results = await asyncio.wait_for(asyncio.gather(*calls), CALLS_TIMEOUT)

        assert results == [f"call {i}" for i in range(6000)]
        assert [e for e in client.errors if e["code"] == "rate_limited"] == []
        # 6,000 messages past a burst of 2,000 at 1,500 a second take 2.7 s.
        assert time.monotonic() - started >= 2.0


async def test_calls_refused_by_the_rate_limit_fail_instead_of_hanging(
    launch: Apps, monkeypatch: pytest.MonkeyPatch, tight_limits: None
) -> None:
    """Without the client's pacing, calls the server refuses raise rate_limited;
    every call ends, and the session carries on."""
    monkeypatch.setattr(_connection, "SEND_RATE", 1e9)
    monkeypatch.setattr(_connection, "SEND_BURST", 1e9)

    async with gr.AsyncClient(launch(echo_app())) as client:
        calls = [client.predict(f"call {i}", api_name="echo") for i in range(6000)]
        outcomes: list[Any] = await asyncio.wait_for(
            asyncio.gather(*calls, return_exceptions=True), CALLS_TIMEOUT
        )

        refused = [o for o in outcomes if isinstance(o, BaseException)]
        assert refused, "the flood stayed under the server's limit"
        assert all(
            isinstance(o, ProtocolError)
            and (o.code, str(o)) == ("rate_limited", REFUSAL)
            for o in refused
        )
        done = {i: o for i, o in enumerate(outcomes) if isinstance(o, str)}
        assert all(o == f"call {i}" for i, o in done.items())
        assert len(done) + len(refused) == 6000

        await asyncio.sleep(0.5)  # the bucket refills 100 a second
        assert await client.predict("after", api_name="echo") == "after"
