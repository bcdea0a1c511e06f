"""Layout blocks: they arrange their children and hold no value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

from reactive_blocks.declaration._block import BlockContext, check_choice
from reactive_blocks.declaration._unsupported import Refused
from reactive_blocks.errors import DeclarationError

#: The looks of a Row or Column.
VARIANTS: Final = ("default", "panel", "compact")

#: ``key`` would keep a layout's identity across re-renders, which this
#: library does not have; without it ``preserved_by_key`` does nothing.
_LAYOUT_UNSUPPORTED: Final[Mapping[str, Any]] = {
    "key": None,
    "preserved_by_key": None,
}


class Row(BlockContext):
    """Children side by side.

    Args:
        variant: ``"default"``, ``"panel"`` (a card) or ``"compact"`` (no gaps).
        equal_height: Whether every child gets the height of the tallest.
        **kwargs: ``visible``, ``elem_id``, ``elem_classes``, ``render``, and
            Gradio's parameters not built yet, at their defaults.
    """

    block_type: ClassVar[str] = "row"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **_LAYOUT_UNSUPPORTED,
        "scale": None,
        "height": None,
        "max_height": None,
        "min_height": None,
        "show_progress": False,
    }

    def __init__(
        self,
        *,
        variant: Literal["default", "panel", "compact"] = "default",
        equal_height: bool = False,
        **kwargs: Any,
    ) -> None:
        check_choice("Row", "variant", variant, VARIANTS)
        self.variant = variant
        self.equal_height = equal_height
        super().__init__(**kwargs)

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "variant": self.variant,
            "equal_height": self.equal_height,
        }


class Column(BlockContext):
    """Children stacked top to bottom.

    Args:
        scale: Width relative to the other columns of a row.
        min_width: Minimum width in pixels before the row wraps.
        variant: ``"default"``, ``"panel"`` or ``"compact"``.
        **kwargs: ``visible``, ``elem_id``, ``elem_classes``, ``render``, and
            Gradio's parameters not built yet, at their defaults.
    """

    block_type: ClassVar[str] = "column"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **_LAYOUT_UNSUPPORTED,
        "show_progress": False,
    }

    def __init__(
        self,
        *,
        scale: int = 1,
        min_width: int = 320,
        variant: Literal["default", "panel", "compact"] = "default",
        **kwargs: Any,
    ) -> None:
        check_choice("Column", "variant", variant, VARIANTS)
        self.scale = scale
        self.min_width = min_width
        self.variant = variant
        super().__init__(**kwargs)

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "scale": self.scale,
            "min_width": self.min_width,
            "variant": self.variant,
        }


class Group(BlockContext):
    """Children drawn as one card, without gaps between them."""

    block_type: ClassVar[str] = "group"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = _LAYOUT_UNSUPPORTED


class Tabs(BlockContext):
    """A set of tabs; only the selected ``Tab`` is shown.

    A ``Tab`` opened outside any ``Tabs`` gets one made for it, so
    consecutive tabs share one tab bar, as in Gradio.
    """

    block_type: ClassVar[str] = "tabs"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **_LAYOUT_UNSUPPORTED,
        "selected": None,
        # Gradio's default hides the tabs that overflow the bar in a menu.
        "overflow_behavior": Refused("tabs that do not fit wrap onto more rows"),
    }


class Tab(BlockContext):
    """One tab of a ``Tabs``.

    Args:
        label: The tab's title in the tab bar.
        id: An identifier for the tab; defaults to its block id.
        interactive: Whether the tab can be selected.
        **kwargs: ``visible``, ``elem_id``, ``elem_classes``, ``render``, and
            Gradio's parameters not built yet, at their defaults.
    """

    block_type: ClassVar[str] = "tab"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **_LAYOUT_UNSUPPORTED,
        "alignment": "left",
        "scale": None,
        "height": None,
        "max_height": None,
        # Gradio's default draws an inactive tab's children only once the
        # tab is first selected.
        "render_children": Refused("every tab's children are drawn, hidden"),
    }

    def __init__(
        self,
        label: str | None = None,
        *,
        id: int | str | None = None,
        interactive: bool = True,
        **kwargs: Any,
    ) -> None:
        self.label = label
        self.tab_id = id
        self.interactive = interactive
        super().__init__(**kwargs)

    def render(self) -> Tab:
        from reactive_blocks.declaration import _context

        context = _context.current()
        if context is None or self.parent is not None:
            return self
        if not isinstance(context, Tabs):
            context = _tabs_for(context)
        context.add_child(self)
        return self

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "label": self.label if self.label is not None else f"Tab {self.id}",
            "tab_id": self.tab_id if self.tab_id is not None else self.id,
            "interactive": self.interactive,
        }


TabItem = Tab


def _tabs_for(context: BlockContext) -> Tabs:
    """The implicit ``Tabs`` a bare ``Tab`` joins: the last child, if a Tabs."""
    if context.children and isinstance(context.children[-1], Tabs):
        tabs = context.children[-1]
        if getattr(tabs, "implicit", False):
            return tabs
    tabs = Tabs(render=False)
    tabs.implicit = True  # type: ignore[attr-defined]
    context.add_child(tabs)
    return tabs


class Accordion(BlockContext):
    """Children behind a header that opens and closes them.

    Args:
        label: The header's text.
        open: Whether the accordion starts open.
        **kwargs: ``visible``, ``elem_id``, ``elem_classes``, ``render``, and
            Gradio's parameters not built yet, at their defaults.
    """

    block_type: ClassVar[str] = "accordion"
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **_LAYOUT_UNSUPPORTED,
        "height": None,
        "max_height": None,
    }

    def __init__(
        self,
        label: str | None = None,
        *,
        open: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(open, bool):
            raise DeclarationError(f"Accordion open= must be a bool, got {open!r}")
        self.label = label
        self.open = open
        super().__init__(**kwargs)

    def props(self) -> dict[str, Any]:
        return {**super().props(), "label": self.label or "", "open": self.open}
