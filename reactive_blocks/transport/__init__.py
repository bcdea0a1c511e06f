"""Transport: the aiohttp server, its page, assets, login and sockets."""

from reactive_blocks.transport._app import build_app
from reactive_blocks.transport._server import Server, launch, parse_size
from reactive_blocks.transport._socket import SocketLimits

__all__ = ["Server", "SocketLimits", "build_app", "launch", "parse_size"]
