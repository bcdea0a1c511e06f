"""Password login for ``launch(auth=…)``: a form, then a cookie.

Credentials are checked once at ``POST /login``; the browser then holds a
random token in an HttpOnly cookie that the page and the socket require.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from reactive_blocks.errors import DeclarationError

COOKIE: Final = "reactive-blocks-auth"

Check = Callable[[str, str], bool]


class Login:
    """Checks credentials and remembers the tokens it handed out.

    Args:
        auth: A ``(username, password)`` pair, a list of them, or a function
            of username and password returning whether they are valid.
        message: HTML shown on the login page.
    """

    def __init__(self, auth: Any, message: str | None = None) -> None:
        self._check = _checker(auth)
        self.message = message or ""
        self._tokens: set[str] = set()

    def is_logged_in(self, request: web.Request) -> bool:
        return self.accepts(request.cookies.get(COOKIE))

    def accepts(self, token: str | None) -> bool:
        """Whether ``token``, from the login cookie, is one handed out here."""
        return token is not None and token in self._tokens

    async def page(self, request: web.Request) -> web.Response:
        failed = "failed" in request.query
        return web.Response(
            text=_login_html(self.message, failed), content_type="text/html"
        )

    async def submit(self, request: web.Request) -> web.Response:
        form = await request.post()
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        if not self._check(username, password):
            raise web.HTTPFound("login?failed=1")

        token = secrets.token_urlsafe(32)
        self._tokens.add(token)
        response = web.HTTPFound("./")
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
        raise response


def _checker(auth: Any) -> Check:
    if callable(auth):
        return lambda u, p: bool(auth(u, p))
    pairs = [auth] if isinstance(auth, tuple) else list(auth)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise DeclarationError(
                "launch auth= takes (username, password), a list of them, or a function"
            )

    def check(username: str, password: str) -> bool:
        ok = False
        for user, secret in pairs:
            ok |= hmac.compare_digest(
                user.encode(), username.encode()
            ) & hmac.compare_digest(secret.encode(), password.encode())
        return ok

    return check


def _login_html(message: str, failed: bool) -> str:
    error = '<p role="alert">Incorrect username or password.</p>' if failed else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Login</title>'
        "<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;"
        "min-height:90vh}form{display:grid;gap:.6rem;min-width:18rem}"
        "input,button{padding:.5rem;font-size:1rem}</style></head><body>"
        f'<form method="post" action="login"><h1>Login</h1><div>{message}</div>{error}'
        '<label>Username <input name="username" autocomplete="username" required></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password" required></label>'
        '<button type="submit">Login</button></form></body></html>'
    )
