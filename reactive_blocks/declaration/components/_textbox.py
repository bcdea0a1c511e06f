from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.declaration._unsupported import Refused


class Textbox(Component):
    """A single- or multi-line text field.

    Args:
        value: Initial text, or a callable computing it per session.
        type: ``"text"``, ``"password"`` or ``"email"``.
        lines: Visible lines; 1 makes a single-line field where Enter submits.
        max_lines: The most lines the field grows to.
        placeholder: Hint shown while the field is empty.
        max_length: The most characters the user may enter.
        **kwargs: Common component options (``label``, ``info``, ``visible``…).
    """

    block_type: ClassVar[str] = "textbox"
    submit = EventListener("submit", doc="The user pressed Enter in a single-line box.")
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 names for what Gradio 6 shows through buttons=.
        "show_copy_button": False,
        "container": True,
        "scale": None,
        "min_width": 160,
        "autofocus": False,
        "text_align": None,
        "rtl": False,
        "buttons": None,
        "submit_btn": False,
        "stop_btn": False,
        "html_attributes": None,
        # Gradio scrolls a multi-line box to its end when its value changes.
        "autoscroll": Refused("the box does not scroll when its value changes"),
    }

    def __init__(
        self,
        value: Any = "",
        *,
        type: Literal["text", "password", "email"] = "text",
        lines: int = 1,
        max_lines: int | None = None,
        placeholder: str | None = None,
        max_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if type not in ("text", "password", "email"):
            raise ValueError(
                f"Textbox type={type!r} is not one of text, password, email"
            )
        self.type = type
        self.lines = lines
        self.max_lines = max_lines if max_lines is not None else max(lines, 20)
        self.placeholder = placeholder
        self.max_length = max_length
        super().__init__(value, **kwargs)

    def postprocess(self, value: Any) -> str:
        return "" if value is None else str(value)

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{self.name} needs a string, got {type(value).__name__}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"{self.name} takes at most {self.max_length} characters")
        return value

    def validate_output(self, value: Any) -> str:
        """A caller's value: a number or a boolean becomes its text, as in Gradio.

        The page always sends text; a script passing ``123`` means ``"123"``.
        """
        if isinstance(value, (int, float)):
            value = str(value)
        return self.validate(value)

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "type": self.type,
            "lines": self.lines,
            "max_lines": self.max_lines,
            "placeholder": self.placeholder,
            "max_length": self.max_length,
        }
