from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.declaration._unsupported import Refused


class Slider(Component):
    """A number chosen by dragging between a minimum and a maximum.

    Args:
        minimum: The smallest value.
        maximum: The largest value.
        value: The initial value (``minimum`` when None), or a callable.
        step: The increment between values.
        **kwargs: Common component options (``label``, ``info``…).
    """

    block_type: ClassVar[str] = "slider"
    release = EventListener("release", doc="The user let go of the slider.")
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 shows a reset button by default.
        "show_reset_button": Refused("the slider has no reset button"),
        "precision": None,
        "container": True,
        "scale": None,
        "min_width": 160,
        "randomize": False,
        "buttons": None,
    }

    def __init__(
        self,
        minimum: float = 0,
        maximum: float = 100,
        value: float | Any = None,
        *,
        step: float | None = None,
        **kwargs: Any,
    ) -> None:
        if not minimum <= maximum:
            raise ValueError(f"Slider minimum {minimum} is above its maximum {maximum}")
        self.minimum = minimum
        self.maximum = maximum
        self.step = 1 if step is None else step
        super().__init__(value, **kwargs)

    def postprocess(self, value: Any) -> float:
        """A listener's number; anything else is refused, not shown as 0.

        The range is not checked: a ``gr.update`` may move it with the value.
        """
        if value is None:
            return self.minimum
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{self.name} needs a number, got {value!r}")
        if isinstance(value, (int, float)):
            number: float = value
        else:  # numpy's numbers
            number = int(value) if isinstance(value, numbers.Integral) else float(value)
        if not math.isfinite(number):
            raise ValueError(f"{self.name} needs a finite number, got {value!r}")
        return number

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{self.name} needs a number, got {value!r}")
        if not math.isfinite(value) or not self.minimum <= value <= self.maximum:
            raise ValueError(
                f"{self.name} takes values from {self.minimum} to {self.maximum}, got {value}"
            )
        return value

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "step": self.step,
        }
