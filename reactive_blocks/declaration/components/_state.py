from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar

from reactive_blocks.declaration._component import Component


class State(Component):
    """A value kept per session on the server, never shown or sent to the page.

    Each session starts with its own deep copy of ``value``, so sessions never
    share it. A listener receives a copy too: its return value, compared with
    the stored one, decides whether ``change`` fires.

    Example:
        >>> with gr.Blocks() as demo:
        ...     count = gr.State(0)
        ...     btn = gr.Button("+1")
        ...     btn.click(lambda n: n + 1, count, count)

    Args:
        value: The initial value (any Python object), or a callable making it.
        render: Accepted for symmetry with other components.
        time_to_live: Seconds after its last change at which the value is
            deleted (the session falls back to a fresh initial value).
        delete_callback: Called with the value whenever it is deleted: on
            ``time_to_live``, on eviction past ``launch(state_session_capacity=…)``,
            and when the session ends.
    """

    block_type: ClassVar[str] = "state"
    server_only: ClassVar[bool] = True
    costly_conversion: ClassVar[bool] = True

    def __init__(
        self,
        value: Any = None,
        render: bool = True,
        *,
        time_to_live: float | None = None,
        delete_callback: Callable[[Any], None] | None = None,
    ) -> None:
        if time_to_live is not None and not time_to_live > 0:
            raise ValueError(
                f"State time_to_live must be positive seconds, got {time_to_live!r}"
            )
        if not callable(value):
            try:
                copy.deepcopy(value)
            except Exception as exc:
                raise TypeError(
                    "the initial value of gr.State must be able to be deep-copied, as "
                    f"each session gets a copy; a value of type {type(value).__name__} "
                    f"cannot be ({exc})"
                ) from exc
        self.time_to_live = time_to_live
        self.delete_callback = delete_callback
        super().__init__(value, render=render, interactive=False)

    def initial_value(self) -> Any:
        return None if callable(self.value) else copy.deepcopy(self.value)

    def fresh_value(self, initial: Any) -> Any:
        return copy.deepcopy(initial)

    def preprocess(self, value: Any) -> Any:
        return copy.deepcopy(value)

    def validate(self, value: Any) -> Any:
        raise ValueError(
            f"{self.name} lives on the server and cannot be set by a client"
        )

    def props(self) -> dict[str, Any]:
        return {"visible": False, "elem_id": None, "elem_classes": []}
