"""The aiohttp application: page, static assets, login, the socket, the API."""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from reactive_blocks.session import Runtime
from reactive_blocks.transport._auth import Login
from reactive_blocks.transport._page import render_page
from reactive_blocks.transport._rest import add_api_routes
from reactive_blocks.transport._socket import (
    CURRENT,
    SOCKETS,
    SocketLimits,
    serve_socket,
)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
RUNTIME: Final = web.AppKey("runtime", Runtime)


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

    async def socket(request: web.Request) -> web.StreamResponse:
        if login is not None and not login.is_logged_in(request):
            raise web.HTTPUnauthorized(text="log in first")
        if not _origin_allowed(request, strict_cors):
            raise web.HTTPForbidden(text="cross-origin socket refused")
        return await serve_socket(request, runtime, limits)

    app = web.Application(client_max_size=limits.max_message)
    app[RUNTIME] = runtime
    app[SOCKETS] = set()
    app[CURRENT] = {}
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
    else:
        app.router.add_get("/favicon.ico", _no_favicon)
    if login is not None:
        app.router.add_get("/login", login.page)
        app.router.add_post("/login", login.submit)
    return app


async def _no_favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def _origin_allowed(request: web.Request, strict: bool) -> bool:
    """A browser's socket must come from a page of this server.

    Without this check any web site a user visits could open a socket to an
    app on their localhost.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return not strict
    return urlsplit(origin).netloc == request.host
