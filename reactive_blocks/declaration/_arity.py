"""A warning, at the line that declares it, for a function that cannot take its inputs.

A listener (or a component's callable value) whose function cannot take one
argument per input fails each time it runs, far from the line to mend.
Gradio warns at declaration too.
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Final

#: Frames in these files are ours: the warning points at the first other one.
_PACKAGE: Final = str(Path(__file__).resolve().parent.parent) + os.sep


def warn_on_arity(fn: Callable[..., Any], given: int, what: str) -> None:
    """Warn when ``fn`` cannot be called with ``given`` positional arguments.

    Parameters with defaults (``gr.Progress``) may go unfilled, and
    ``*args`` takes any number. ``what`` names the function's role in the
    message, e.g. ``"listener function"``.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return  # a builtin without a signature: nothing to go by
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in parameters if p.kind in kinds]
    least = sum(1 for p in positional if p.default is inspect.Parameter.empty)
    takes_any = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    most = math.inf if takes_any else len(positional)
    if least <= given <= most:
        return

    name = getattr(fn, "__name__", repr(fn))
    if given < least:
        takes = f"at least {_count(least, 'argument')}"
    else:
        takes = f"at most {_count(most, 'argument')}" if most else "no arguments"
    warnings.warn(
        f"{what} {name!r} takes {takes} but is given {_count(given, 'input')}; "
        "it will fail when it runs",
        UserWarning,
        stacklevel=_first_frame_outside_the_package(),
    )


def _first_frame_outside_the_package() -> int:
    """The ``stacklevel`` pointing our caller's ``warnings.warn`` at user code."""
    level = 2
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back
    return level


def _count(number: float, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
