"""The floor: the least a WebSocket server on aiohttp and orjson can do.

Each scenario's figure for this server is what the transport alone costs:
a JSON message decoded and encoded once per request, no scheduler, no
session state. ``python benchmarks/floor_server.py PORT`` serves on
127.0.0.1 only.

Messages: any JSON object is echoed back, except ``{"type": "stream", "n":
N}``, answered by N frames of five-byte tokens and an ``end`` frame.
"""

from __future__ import annotations

import asyncio
import sys
import threading

import orjson
from aiohttp import WSMsgType, web
from apps._control import hold

PAGE = "<!doctype html><title>floor</title><p>floor</p>"


async def index(request: web.Request) -> web.Response:
    """A page, so that cold start is timed to a first page as for the others."""
    return web.Response(text=PAGE, content_type="text/html")


async def socket(request: web.Request) -> web.WebSocketResponse:
    """Echo every message; stream tokens when asked."""
    ws = web.WebSocketResponse(compress=False, max_msg_size=16 * 1024 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
            continue
        message = orjson.loads(msg.data)
        if message.get("type") == "stream":
            for i in range(int(message["n"])):
                frame = orjson.dumps({"type": "token", "text": f"{i:04d} "})
                await ws.send_frame(frame, WSMsgType.TEXT)
            await ws.send_frame(orjson.dumps({"type": "end"}), WSMsgType.TEXT)
        else:
            await ws.send_frame(orjson.dumps(message), WSMsgType.TEXT)
    return ws


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when installed, as reactive_blocks picks it: a fair floor."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(port: int) -> None:
    """Run the server on its own thread, as reactive_blocks' launch() does."""
    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/ws", socket)
    loop = _new_event_loop()
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    loop.run_until_complete(site.start())
    threading.Thread(target=loop.run_forever, name="floor", daemon=True).start()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
    hold()
