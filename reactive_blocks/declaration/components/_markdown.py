from __future__ import annotations

import inspect
from typing import Any, ClassVar

from reactive_blocks.declaration._component import Component

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
