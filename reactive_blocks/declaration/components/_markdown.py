from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._unsupported import Refused

DEFAULT_LATEX_DELIMITERS = (
    {"left": "$$", "right": "$$", "display": True},
    {"left": "$", "right": "$", "display": False},
)


class Markdown(Component):
    """Markdown text, with math between ``$…$`` (inline) and ``$$…$$`` (display).

    The page renders it with a markdown library and always sanitises the HTML.

    Args:
        value: The markdown text, or a callable computing it per session.
        latex_delimiters: Pairs of math delimiters, each a dict with
            ``left``, ``right`` and ``display``.
        **kwargs: Common component options (``visible``, ``elem_id``…).
    """

    block_type: ClassVar[str] = "markdown"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 names for what Gradio 6 shows through buttons=.
        "show_copy_button": False,
        "scale": None,
        "rtl": False,
        "sanitize_html": True,
        "line_breaks": False,
        "header_links": False,
        "height": None,
        "max_height": None,
        "min_height": None,
        "buttons": None,
        "container": False,
        "padding": False,
        # Gradio lets markdown shrink to its text; a row here keeps every
        # block at least 160 pixels wide.
        "min_width": Refused("a row keeps it at least 160 pixels wide"),
    }

    def __init__(
        self,
        value: Any = "",
        *,
        latex_delimiters: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        self.latex_delimiters = (
            list(DEFAULT_LATEX_DELIMITERS)
            if latex_delimiters is None
            else latex_delimiters
        )
        kwargs.setdefault("interactive", False)
        super().__init__(value, **kwargs)

    def postprocess(self, value: Any) -> str:
        # Indented triple-quoted text is dedented, as Gradio does, so that it
        # is not read as a code block.
        return "" if value is None else inspect.cleandoc(str(value))

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{self.name} needs a string, got {type(value).__name__}")
        return value

    def props(self) -> dict[str, Any]:
        return {**super().props(), "latex_delimiters": self.latex_delimiters}
