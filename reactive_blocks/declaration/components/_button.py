from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from reactive_blocks.declaration._block import check_choice
from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.declaration._unsupported import Refused
from reactive_blocks.errors import NotSupportedError


class Button(Component):
    """A button; its value is its caption.

    Args:
        value: The caption.
        variant: ``"primary"``, ``"secondary"`` or ``"stop"``.
        size: ``"sm"``, ``"md"`` or ``"lg"``.
        **kwargs: Common component options (``visible``, ``interactive``…).
    """

    block_type: ClassVar[str] = "button"
    click = EventListener("click", doc="The user clicked the button.")
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        "icon": None,
        "link": None,
        "link_target": "_self",
        "scale": None,
        # Gradio lets a button shrink to its caption; a row here keeps every
        # block at least 160 pixels wide.
        "min_width": Refused("a row keeps it at least 160 pixels wide"),
    }

    def __init__(
        self,
        value: Any = "Run",
        *,
        variant: Literal["primary", "secondary", "stop"] = "secondary",
        size: Literal["sm", "md", "lg"] = "lg",
        **kwargs: Any,
    ) -> None:
        if variant == "huggingface":
            raise NotSupportedError(
                "Button",
                "variant",
                "variant='huggingface' is not built: use primary, secondary or stop",
            )
        check_choice("Button", "variant", variant, ("primary", "secondary", "stop"))
        check_choice("Button", "size", size, ("sm", "md", "lg"))
        self.variant = variant
        self.size = size
        kwargs.setdefault("interactive", True)
        super().__init__(value, **kwargs)

    def postprocess(self, value: Any) -> str:
        return "" if value is None else str(value)

    def validate(self, value: Any) -> str:
        raise ValueError(f"{self.name}: a button's caption cannot be edited")

    def props(self) -> dict[str, Any]:
        return {**super().props(), "variant": self.variant, "size": self.size}
