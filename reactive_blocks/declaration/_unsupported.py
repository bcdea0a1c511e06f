"""Gradio parameters not built yet: accepted at Gradio's default, refused otherwise.

A parameter passed at its Gradio default asks for the default behaviour; where
that is what reactive_blocks does, the call is honoured. Any other value would
be silently ignored, so it raises ``NotSupportedError``; a name Gradio does not
have either raises ``TypeError``, as Python does for a misspelt argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reactive_blocks.errors import NotSupportedError


@dataclass(frozen=True)
class Refused:
    """A Gradio parameter refused at every value, its default included.

    What reactive_blocks does differs from Gradio's default for it, so even
    the default would promise what the page does not do.

    Attributes:
        why: What reactive_blocks does instead, added to the error message.
    """

    why: str


def reject_unsupported(
    owner: str, given: Mapping[str, Any], defaults: Mapping[str, Any]
) -> None:
    """Raise for any parameter in ``given`` that asks for more than the default.

    Args:
        owner: How the error names the refusing call, e.g. ``"Textbox"``.
        given: The keyword arguments ``owner`` does not take itself.
        defaults: Gradio's parameters of ``owner`` that are not built, each
            with its Gradio default, or ``Refused`` when that default is not
            what reactive_blocks does.

    Raises:
        TypeError: a name that is no Gradio parameter of ``owner``.
        NotSupportedError: a Gradio parameter at a value other than its
            default, or one marked ``Refused``.
    """
    for name, value in given.items():
        if name not in defaults:
            raise TypeError(f"{owner} got an unexpected keyword argument '{name}'")
        default = defaults[name]
        if isinstance(default, Refused):
            raise NotSupportedError(owner, name, default.why)
        if not _is_default(value, default):
            raise NotSupportedError(owner, name)


def _is_default(value: Any, default: Any) -> bool:
    # An array or other value whose == is not a plain bool is no default.
    try:
        return bool(value is default or value == default)
    except (TypeError, ValueError):
        return False
