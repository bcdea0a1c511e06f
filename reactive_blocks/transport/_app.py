"""The aiohttp application: page, static assets, login, the socket, the API."""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from reactive_blocks.session import Runtime
from reactive_blocks.transport._auth import COOKIE, Login
from reactive_blocks.transport._handshake import SocketRoute, Upgrade
from reactive_blocks.transport._page import render_page
from reactive_blocks.transport._rest import add_api_routes
from reactive_blocks.transport._socket import SocketLimits, Tabs, serve_over_aiohttp

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
RUNTIME: Final = web.AppKey("runtime", Runtime)

#: The app's open sockets.
TABS: Final = web.AppKey("tabs", Tabs)

#: The socket route, served ahead of aiohttp (see ``_handshake``).
SOCKET_ROUTE: Final = web.AppKey("socket_route", SocketRoute)


def build_app(
    runtime: Runtime,
    *,
    login: Login | None = None,
    favicon_path: str | None = None,
    strict_cors: bool = True,
    limits: SocketLimits | None = None,
) -> web.Application:
    """Make the aiohttp application serving ``runtime``'s app."""
    limits = limits or SocketLimits()
    page = render_page(runtime.spec.page, favicon=favicon_path is not None)

    def require_login(request: web.Request) -> None:
        if login is not None and not login.is_logged_in(request):
            raise web.HTTPFound("login")

    async def index(request: web.Request) -> web.Response:
        require_login(request)
        return web.Response(text=page, content_type="text/html")

    tabs = Tabs(runtime, limits)

    async def socket(request: web.Request) -> web.StreamResponse:
        if login is not None and not login.is_logged_in(request):
            raise web.HTTPUnauthorized(text="log in first")
        if not _origin_allowed(request, strict_cors):
            raise web.HTTPForbidden(text="cross-origin socket refused")
        if request.headers.get("Sec-WebSocket-Version", "13") != "13":
            # aiohttp would also take the drafts before RFC 6455 (7 and 8).
            raise web.HTTPUpgradeRequired(
                text="WebSocket version 13 only",
                headers={"Sec-WebSocket-Version": "13"},
            )
        return await serve_over_aiohttp(request, tabs)

    def admits(upgrade: Upgrade) -> bool:
        if login is not None and not login.accepts(cookie(upgrade.cookie, COOKIE)):
            return False
        return origin_allowed(upgrade.origin, upgrade.host, strict_cors)

    app = web.Application(client_max_size=limits.max_message)
    app[RUNTIME] = runtime
    app[TABS] = tabs
    app[SOCKET_ROUTE] = SocketRoute(
        path=b"/ws",
        admits=admits,
        open=tabs.open_socket,
        max_message=limits.max_message,
    )
    app.router.add_get("/", index)
    app.router.add_get("/ws", socket)
    add_api_routes(
        app,
        runtime,
        login=login,
        origin_allowed=lambda request: _origin_allowed(request, strict_cors),
    )
    app.router.add_static("/static/", STATIC_DIR, append_version=False)
    if favicon_path is not None:
        icon = Path(favicon_path)

        async def favicon(request: web.Request) -> web.FileResponse:
            return web.FileResponse(icon)

        app.router.add_get("/favicon", favicon)
        # Pages without the link (the login page) get it where browsers look.
        app.router.add_get("/favicon.ico", favicon)
    else:
        app.router.add_get("/favicon.ico", _no_favicon)
    if login is not None:
        app.router.add_get("/login", login.page)
        app.router.add_post("/login", login.submit)
    return app


async def _no_favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def _origin_allowed(request: web.Request, strict: bool) -> bool:
    return origin_allowed(request.headers.get("Origin"), request.host, strict)


def origin_allowed(origin: str | None, host: str | None, strict: bool) -> bool:
    """A browser's socket must come from a page of this server.

    Without this check any web site a user visits could open a socket to an
    app on their localhost.
    """
    if origin is None:
        return True
    if origin == "null":
        return not strict
    return urlsplit(origin).netloc == host


def cookie(header: str | None, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` request header."""
    if header is None:
        return None
    for pair in header.split(";"):
        key, equals, value = pair.strip().partition("=")
        if equals and key == name:
            return value.strip().strip('"')
    return None
