"""The HTTP API routes: ``POST api/<api_name>`` and ``GET api``.

Open only when the app says ``queue(api_open=True)``. A call runs the
listener's function once, directly, skipping the queue; its inputs and
outputs are the JSON wire values of docs/protocol.md, with images as
``data:`` URLs. There is no session: ``State`` inputs get a fresh copy of
their initial value. Every answer is JSON, errors included:
``{"error": message, "code": code}``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Callable
from typing import Any, Final

import orjson
from aiohttp import web

from reactive_blocks.declaration import Component, Image, Listener
from reactive_blocks.errors import Error, brief
from reactive_blocks.log import transport_logger as log
from reactive_blocks.protocol import Blob, too_large_text
from reactive_blocks.scheduler import RunFailed, run_directly, with_state_places
from reactive_blocks.session import GENERIC_ERROR, Runtime
from reactive_blocks.transport._auth import COOKIE, Login

API_CLOSED: Final = (
    "this app's API endpoints do not accept direct requests; open them with "
    "demo.queue(api_open=True), or call listeners through a session "
    "(reactive_blocks.Client)"
)

#: API calls running at once. More wait their turn, so that a burst of calls
#: to a slow sync function cannot take every worker thread from the sessions
#: (45 such calls held a session's trivial listener up for 2.8 s).
MAX_DIRECT_RUNS: Final = 16

# Blobs become data: URLs; numpy values and tuples are sent as the socket sends them.
_OPTIONS: Final = (
    orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


class ApiError(Exception):
    """A request the API routes refuse: an HTTP status, a code and a sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        message = brief(message)
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        return _json(self.status, {"error": self.message, "code": self.code})


def add_api_routes(
    app: web.Application,
    runtime: Runtime,
    *,
    login: Login | None,
    origin_allowed: Callable[[web.Request], bool],
) -> None:
    """Serve ``GET api`` and ``POST api/{api_name}`` for ``runtime``'s app.

    Args:
        app: The aiohttp application to add the routes to.
        runtime: The app's runtime, whose scheduler runs the calls.
        login: The app's login, whose cookie the routes require; None for none.
        origin_allowed: Whether a request's ``Origin`` may use the app, as
            for the socket: a browser page of another site may not.
    """
    api = _Api(runtime, login, origin_allowed)
    app.router.add_get("/api", api.list_endpoints)
    app.router.add_post("/api/{api_name}", api.call)
    # Anything else under api/ answers JSON too, not aiohttp's plain text.
    app.router.add_route("*", "/api", api.no_route)
    app.router.add_route("*", "/api/{tail:.*}", api.no_route)


class _Api:
    def __init__(
        self,
        runtime: Runtime,
        login: Login | None,
        origin_allowed: Callable[[web.Request], bool],
    ) -> None:
        self.runtime = runtime
        self.login = login
        self.origin_allowed = origin_allowed
        self._running: asyncio.Semaphore | None = None

    async def list_endpoints(self, request: web.Request) -> web.Response:
        """The open endpoints with the component types of their inputs and outputs."""
        try:
            self._admit(request)
        except ApiError as exc:
            return exc.response()

        listed = self.runtime.spec.config.get("show_api", True)
        endpoints = {
            listener.api_name: {
                "inputs": _describe(listener.inputs),
                "outputs": _describe(listener.outputs),
            }
            for listener in self.runtime.graph.listeners
            if listed and _callable(listener) and listener.show_api
        }
        return _json(200, {"endpoints": endpoints})

    async def call(self, request: web.Request) -> web.Response:
        """Run one listener with the request's inputs and answer its outputs."""
        try:
            self._admit(request)
            listener = self._endpoint(request.match_info["api_name"])
            inputs = _inputs(listener, await _data(request))
            _check_uploads(inputs, self.runtime.spec.config.get("max_file_size"))
            await _checked_whole(self.runtime, listener, inputs)
            if self._running is None:
                self._running = asyncio.Semaphore(MAX_DIRECT_RUNS)
            async with self._running:
                started = time.monotonic()
                outputs = await run_directly(self.runtime.scheduler, listener, inputs)
        except ApiError as exc:
            return exc.response()
        except Error as exc:
            return ApiError(422, "app_error", exc.message).response()
        except RunFailed as exc:
            return ApiError(500, "internal", self._error_text(exc.cause)).response()

        duration = round(time.monotonic() - started, 6)
        try:
            return _json(200, {"data": outputs, "duration": duration})
        except TypeError as exc:
            log.error(
                "listener %s: cannot encode its outputs", listener.name, exc_info=exc
            )
            return ApiError(
                500, "internal", f"the server could not send the outputs: {exc}"
            ).response()

    async def no_route(self, request: web.Request) -> web.Response:
        """A JSON answer for a path or method under api/ that serves nothing."""
        tail = request.match_info.get("tail")
        if tail is None or (tail and "/" not in tail):
            allowed = "GET" if tail is None else "POST"
            return _json(
                405,
                {
                    "error": f"{request.method} is not served here; use {allowed}",
                    "code": "bad_method",
                },
            )
        return ApiError(
            404, "unknown_endpoint", "no such endpoint; GET api lists the endpoints"
        ).response()

    def _admit(self, request: web.Request) -> None:
        """Refuse a request without the login, from a foreign page, or while closed."""
        if self.login is not None and not self.login.is_logged_in(request):
            raise ApiError(
                401,
                "login_required",
                f"this app needs a login: POST username and password to its login "
                f"page, then send the '{COOKIE}' cookie it sets",
            )
        if not self.origin_allowed(request):
            raise ApiError(403, "cross_origin", "cross-origin request refused")
        if not self.runtime.spec.queue.api_open:
            raise ApiError(403, "api_closed", API_CLOSED)

    def _endpoint(self, api_name: str) -> Listener:
        listener = self.runtime.graph.by_api_name(api_name)
        if listener is None or not _callable(listener):
            raise ApiError(
                404,
                "unknown_endpoint",
                f"no endpoint named {api_name!r}; GET api lists the endpoints",
            )
        return listener

    def _error_text(self, cause: BaseException | str) -> str:
        """A sentence about a failed run, as the socket's ``end`` message gives it."""
        if isinstance(cause, str):
            return cause
        if self.runtime.show_error:
            return f"{type(cause).__name__}: {cause}"
        return GENERIC_ERROR


def _callable(listener: Listener) -> bool:
    """Listeners with ``api_name=False`` or without a Python function are no endpoint."""
    return listener.api_name is not None and listener.fn is not None


def _describe(components: tuple[Component, ...]) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": c.block_type, "label": c.label}
        for c in components
        if not c.server_only
    ]


async def _data(request: web.Request) -> list[Any]:
    """The request body's ``data`` list."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, "too_large", exc.text or "request body too large") from None
    except Exception as exc:  # a broken Content-Encoding, a cut connection
        raise ApiError(400, "bad_message", f"the body cannot be read: {exc}") from None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400, "bad_message", f"the body is not valid JSON: {exc}"
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ApiError(
            400,
            "bad_message",
            'the body must be a JSON object like {"data": [input values...]}',
        )
    return body["data"]


def _inputs(listener: Listener, data: list[Any]) -> list[Any]:
    """Validated wire inputs for ``listener``; ``State`` places read their initial value.

    An API caller passes values as a listener would return them, so inputs
    are checked with ``validate_output``: a component the user cannot edit
    in the page (a Chatbot's history) still takes a value here.
    """
    passed = listener.sent_inputs
    if len(data) != len(passed):
        names = ", ".join(c.name for c in passed) or "none"
        raise ApiError(
            400,
            "bad_value",
            f"endpoint {listener.api_name!r} takes {len(passed)} input values "
            f"({names}), got {len(data)}",
        )

    checked = []
    for component, value in zip(passed, data, strict=True):
        try:
            checked.append(component.validate_output(_from_json(component, value)))
        except (ValueError, TypeError) as exc:
            raise ApiError(400, "bad_value", str(exc)) from None
    return with_state_places(listener.inputs, checked)


def _check_uploads(inputs: list[Any], limit: int | None) -> None:
    """Refuse an image above ``launch(max_file_size=...)``, as the socket does."""
    for value in inputs:
        if limit is not None and isinstance(value, Blob) and len(value.data) > limit:
            raise ApiError(413, "too_large", too_large_text(len(value.data), limit))


async def _checked_whole(
    runtime: Runtime, listener: Listener, inputs: list[Any]
) -> None:
    """Decode uploads whole off the loop, as the socket does."""
    checked = runtime.check_whole(listener.inputs, inputs)
    if checked is None:
        return
    try:
        await checked
    except ValueError as exc:
        raise ApiError(400, "bad_value", str(exc)) from None


def _from_json(component: Component, value: Any) -> Any:
    """An image arrives as a ``data:`` URL (or null); other values as they are."""
    if not isinstance(component, Image) or value is None:
        return value
    blob = _blob_from_data_url(value) if isinstance(value, str) else None
    if blob is None:
        raise ValueError(
            f"{component.name} takes a base64 data: URL of an image "
            "(data:image/png;base64,...) or null"
        )
    return blob


def _blob_from_data_url(text: str) -> Blob | None:
    head, comma, payload = text.partition(",")
    if not comma or not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    return Blob(data, head[len("data:") : -len(";base64")] or "image/png")


def _to_json(value: Any) -> Any:
    if isinstance(value, Blob):
        return f"data:{value.mime};base64,{base64.b64encode(value.data).decode()}"
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot send a value of type {type(value).__name__}")


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body, default=_to_json, option=_OPTIONS),
        content_type="application/json",
    )
