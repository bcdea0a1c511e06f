"""The exceptions reactive_blocks raises, under one base class."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The longest error message sent or logged; a bad value is not echoed whole.
MAX_MESSAGE_CHARS = 1000


def brief(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text``, cut to ``limit`` characters with a note of how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class ReactiveBlocksError(Exception):
    """Base class of every error raised by reactive_blocks itself."""


class NotSupportedError(ReactiveBlocksError, NotImplementedError):
    """A parameter of the Gradio API that reactive_blocks does not implement yet.

    Raised at the call that passes it, so that a program never runs with a
    setting silently ignored.
    """

    def __init__(self, owner: str, parameter: str, hint: str = "") -> None:
        message = f"{owner}: parameter '{parameter}' is not supported yet"
        if hint:
            message = f"{message}; {hint}"
        super().__init__(message)


class NotBuiltError(ReactiveBlocksError, AttributeError):
    """A name of Gradio's API not built yet: ``gr.Dropdown``, ``Textbox.select``.

    An ``AttributeError``, so that ``hasattr(gr, name)`` is False and
    ``getattr(gr, name, None)`` gives None, as for any missing name.

    Args:
        name: The name as the user wrote it, e.g. ``"gr.Dropdown"``.
        built: What is built in its place, to say in the message.
        kind: What those are, e.g. ``"Gradio's names"``.
    """

    def __init__(
        self, name: str, built: Iterable[str], kind: str = "Gradio's names"
    ) -> None:
        super().__init__(
            f"{name} is part of Gradio's API but not built in reactive_blocks "
            f"yet; of {kind} these are built: {', '.join(built) or 'none'} "
            "(docs/limitations.md lists what is missing)"
        )
        self.name = name


class DeclarationError(ReactiveBlocksError, ValueError):
    """An app was declared in a way that cannot work (bad listener, bad layout)."""


class ProtocolError(ReactiveBlocksError):
    """A client sent a message that cannot be used.

    Attributes:
        code: The machine-readable error code sent back to the client.
        ref: The ``ref`` of the refused message, when it was found before
            the message was decoded whole (an upload above the size limit).
    """

    def __init__(self, code: str, message: str, *, ref: Any = None) -> None:
        super().__init__(brief(message))
        self.code = code
        self.ref = ref


class Error(ReactiveBlocksError):
    """Raise inside a listener to end it with a message shown to the user.

    Unlike other exceptions, its message is shown even when the app was
    launched without ``show_error=True``.

    Example:
        >>> def divide(a, b):
        ...     if b == 0:
        ...         raise gr.Error("Cannot divide by zero")
        ...     return a / b
    """

    def __init__(self, message: str = "Error raised.") -> None:
        super().__init__(message)
        self.message = message


class EventError(ReactiveBlocksError):
    """A listener run requested by a client ended other than ``done``.

    Attributes:
        outcome: ``"error"``, ``"cancelled"`` or ``"refused"``.
    """

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(f"{outcome}: {message}" if message else outcome)
        self.outcome = outcome


class SessionExpired(ReactiveBlocksError, ConnectionError):
    """The server ended the session before the client could resume it.

    Raised by the Python client's pending calls when a lost connection could
    not be resumed within the server's ``reconnect_grace``.
    """
