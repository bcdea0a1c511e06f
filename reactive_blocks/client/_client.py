"""The blocking Python client, for scripts and tests without asyncio."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from reactive_blocks.client._async_client import AsyncClient

T = TypeVar("T")


class Client:
    """Drive an app from ordinary Python code over one WebSocket.

    It runs an ``AsyncClient`` on a private event loop thread.

    Example:
        >>> client = Client("http://127.0.0.1:7860/")
        >>> client.predict("Abubakar", api_name="/welcome")
        'Welcome to Gradio, Abubakar!'
        >>> client.close()

    Args:
        url: The app's URL, as printed by ``launch()``.
        headers: Extra HTTP headers for the socket's handshake.
    """

    def __init__(self, url: str, *, headers: dict[str, str] | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="reactive_blocks-client", daemon=True
        )
        self._thread.start()
        self.aio = AsyncClient(url, headers=headers)
        try:
            self._run(self.aio.connect())
        except BaseException:
            self._stop()
            raise

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def values(self) -> dict[int, Any]:
        """The mirror of the session's component values."""
        return self.aio.values

    @property
    def config(self) -> dict[str, Any]:
        """The app's config, as the server sent it."""
        return self.aio.config

    def component(self, **criteria: Any) -> int:
        """The id of the one block matching ``label=``, ``elem_id=``, ``kind=``."""
        return self.aio.component(**criteria)

    def predict(
        self, *inputs: Any, api_name: str | None = None, listener: int | None = None
    ) -> Any:
        """Run a listener with these inputs and return its outputs."""
        return self._run(
            self.aio.predict(*inputs, api_name=api_name, listener=listener)
        )

    def set(self, block_id: int, value: Any) -> None:
        """Edit a value as a user would."""
        self._run(self.aio.set(block_id, value))

    def trigger(self, block_id: int, event: str) -> None:
        """Fire an event on a block, as a click or Enter would."""
        self._run(self.aio.trigger(block_id, event))

    def stream(self, block_id: int, frame: Any) -> None:
        """Send one frame of a streaming input (see ``AsyncClient.stream``)."""
        self._run(self.aio.stream(block_id, frame))

    def stop_stream(self, block_id: int) -> None:
        """End the component's stream; the next frame starts a new one."""
        self._run(self.aio.stop_stream(block_id))

    @property
    def stream_ends(self) -> list[dict[str, Any]]:
        """The ``stream_end`` messages received: streams the server ended."""
        return self.aio.stream_ends

    def sync(self, timeout: float = 30.0) -> None:
        """Wait until the server has handled every message sent so far."""
        self._run(self.aio.sync(timeout))

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until the server handled everything sent and no run is open."""
        self._run(self.aio.settle(timeout))

    def close(self) -> None:
        """Close the socket; the server ends the session and fires unload."""
        if self._thread.is_alive():
            self._run(self.aio.close())
            self._stop()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if not self._thread.is_alive():
            coroutine.close()
            raise RuntimeError("this client is closed; make a new Client to reconnect")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
