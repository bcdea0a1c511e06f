"""The stack of open ``with`` blocks that new blocks are rendered into."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reactive_blocks.declaration._block import BlockContext
    from reactive_blocks.declaration._blocks import Blocks

_local = threading.local()


def _stack() -> list[BlockContext]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def push(context: BlockContext) -> None:
    _stack().append(context)


def pop(context: BlockContext) -> None:
    stack = _stack()
    if not stack or stack[-1] is not context:
        raise RuntimeError("layout blocks were exited out of order")
    stack.pop()


def current() -> BlockContext | None:
    """The innermost open layout block of this thread, if any."""
    stack = _stack()
    return stack[-1] if stack else None


def current_root() -> Blocks | None:
    """The outermost open ``Blocks`` of this thread, if any."""
    from reactive_blocks.declaration._blocks import Blocks

    for context in _stack():
        if isinstance(context, Blocks):
            return context
    return None
