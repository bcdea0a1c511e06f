from __future__ import annotations

from typing import Any, ClassVar

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._listeners import EventListener


class Timer(Component):
    """Fires ``tick`` every ``value`` seconds in each session while active.

    Ticks are driven by the server, stop the moment the session ends, and
    never pile up: a tick still running when the next is due makes that one
    skipped, not queued. Return ``gr.Timer(active=False)`` (or
    ``gr.update(active=False)``) from a listener to pause it, a new
    ``value`` to change its interval.

    Args:
        value: Seconds between ticks.
        active: Whether it ticks.
        render: Accepted for symmetry; a timer draws nothing.
    """

    block_type: ClassVar[str] = "timer"
    # A progress overlay flashing at every tick would only distract.
    tick = EventListener(
        "tick", show_progress="hidden", doc="The timer's interval elapsed."
    )

    def __init__(
        self, value: float = 1.0, *, active: bool = True, render: bool = True
    ) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(
                f"Timer value must be a positive number of seconds, got {value!r}"
            )
        self.active = active
        super().__init__(value, render=render, interactive=False)

    def postprocess(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(
                f"{self.name} needs a positive interval in seconds, got {value!r}"
            )
        return float(value)

    def validate(self, value: Any) -> Any:
        raise ValueError(f"{self.name} is driven by the server")

    def props(self) -> dict[str, Any]:
        return {**super().props(), "active": self.active}
