"""``gr.update(...)``: change some properties of an output, not its value only."""

from __future__ import annotations

from typing import Any

UPDATE_MARK = "__type__"


def update(**props: Any) -> dict[str, Any]:
    """Return from a listener to change properties of an output component.

    Example:
        >>> def hide(text):
        ...     return gr.update(value=text.upper(), visible=False)

    Args:
        **props: Properties to set; ``value`` goes through the component's
            postprocessing like a plain return value.
    """
    return {UPDATE_MARK: "update", **props}


def is_update(value: Any) -> bool:
    """Whether ``value`` was made by ``update()``."""
    return isinstance(value, dict) and value.get(UPDATE_MARK) == "update"
