"""The base classes of everything placed on a page."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from reactive_blocks.declaration import _context
from reactive_blocks.declaration._gradio_names import GRADIO_EVENTS
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.declaration._unsupported import reject_unsupported
from reactive_blocks.errors import DeclarationError, NotBuiltError

if TYPE_CHECKING:
    from types import TracebackType

    from reactive_blocks.declaration._blocks import Blocks

_ids = itertools.count(1)
_Context = TypeVar("_Context", bound="BlockContext")


class Block:
    """Anything with a place in the layout tree: a layout or a component.

    Args:
        visible: Whether the block is shown. Gradio's ``"hidden"`` (kept in
            the page, not shown) is False here: the page keeps every block.
        elem_id: An HTML id for the block's element, for custom CSS and JS.
        elem_classes: HTML classes added to the block's element.
        render: When False, the block is not placed where it is created; call
            ``render()`` inside a ``with`` block to place it later.
        **unsupported: Gradio parameters of the block's class not built yet;
            each is accepted only at its Gradio default (``unsupported_defaults``).

    Raises:
        NotSupportedError: a Gradio parameter not built yet, at another value.
        TypeError: a parameter Gradio does not have either.
    """

    block_type: ClassVar[str] = "block"
    #: Gradio's parameters of this class that are not built, with the Gradio
    #: default each is accepted at (see ``_unsupported.reject_unsupported``).
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        """A Gradio event this block's class lacks raises ``NotBuiltError``."""
        if name in GRADIO_EVENTS:
            kind = type(self)
            built = sorted(
                event
                for event in GRADIO_EVENTS
                if isinstance(getattr(kind, event, None), EventListener)
            )
            raise NotBuiltError(f"{kind.__name__}.{name}", built, "its events")
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def __init__(
        self,
        *,
        visible: bool | Literal["hidden"] = True,
        elem_id: str | None = None,
        elem_classes: list[str] | str | None = None,
        render: bool = True,
        **unsupported: Any,
    ) -> None:
        reject_unsupported(
            type(self).__name__, unsupported, type(self).unsupported_defaults
        )
        self.id = next(_ids)
        self.visible = visibility(visible, type(self).__name__)
        self.elem_id = elem_id
        self.elem_classes = _as_class_list(elem_classes)
        self.parent: BlockContext | None = None
        self.root: Blocks | None = None
        if render:
            self.render()

    def render(self) -> Block:
        """Place this block at the end of the innermost open layout block."""
        context = _context.current()
        if context is not None and self.parent is None:
            context.add_child(self)
        return self

    def props(self) -> dict[str, Any]:
        """The properties the page needs to draw this block."""
        return {
            "visible": self.visible,
            "elem_id": self.elem_id,
            "elem_classes": self.elem_classes,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id})"


class BlockContext(Block):
    """A block that holds other blocks and is used as a ``with`` context."""

    def __init__(self, **kwargs: Any) -> None:
        self.children: list[Block] = []
        super().__init__(**kwargs)

    def add_child(self, child: Block) -> None:
        """Append ``child`` to this block and adopt it into this app."""
        if child.parent is not None:
            raise DeclarationError(f"{child!r} is already placed in {child.parent!r}")
        child.parent = self
        self.children.append(child)
        _adopt(child, self.root)

    def __enter__(self: _Context) -> _Context:
        _context.push(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _context.pop(self)


def _adopt(block: Block, root: Blocks | None) -> None:
    block.root = root
    if isinstance(block, BlockContext):
        for child in block.children:
            _adopt(child, root)


def visibility(value: Any, owner: str) -> bool:
    """``visible`` as the page takes it: True, False, or Gradio's ``"hidden"``.

    Raises:
        ValueError: anything else, which the page would show.
    """
    if value == "hidden":
        return False
    if not isinstance(value, bool):
        raise ValueError(f"{owner} visible={value!r} is not True, False or 'hidden'")
    return value


def check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``.

    The page would quietly fall back to its default for any other value.
    """
    if value not in choices:
        raise ValueError(f"{owner} {name}={value!r} is not one of {', '.join(choices)}")


def _as_class_list(classes: Iterable[str] | str | None) -> list[str]:
    if classes is None:
        return []
    if isinstance(classes, str):
        return [classes]
    return list(classes)
