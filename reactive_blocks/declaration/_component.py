"""The base class of components: blocks that hold a value."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

from reactive_blocks.declaration._arity import warn_on_arity
from reactive_blocks.declaration._block import Block
from reactive_blocks.declaration._listeners import EventListener
from reactive_blocks.errors import DeclarationError


class Component(Block):
    """A block with a value that listeners read and write.

    The session stores every component's value in its *wire* form: what
    ``postprocess`` returns and what the page shows. A listener receives the
    ``preprocess`` of it, and its return value goes through ``postprocess``.

    Args:
        value: The initial value, or a callable that computes it for each new
            session when the page loads.
        label: The label shown above the component; the component's kind when
            None.
        info: A line of help shown under the label.
        show_label: Whether to show the label.
        interactive: Whether the user can edit the value. When None, a
            component that is only ever a listener's output is not editable and
            every other one is.
        visible: Whether the component is shown.
        elem_id: An HTML id for the component's element.
        elem_classes: HTML classes added to the component's element.
        render: Whether to place the component where it is created.
        every: With a callable ``value``, call it again every this many
            seconds in each session (server-driven, like a ``Timer``).
        inputs: Components whose values the callable ``value`` receives.
        **unsupported: Gradio parameters not built yet, accepted only at
            their Gradio default (``unsupported_defaults``).
    """

    block_type: ClassVar[str] = "component"
    #: ``key`` would keep a component's identity across re-renders, which
    #: this library does not have; without it ``preserved_by_key`` does nothing.
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        "key": None,
        "preserved_by_key": "value",
    }
    #: Whether the value stays on the server: never sent, fresh per session.
    server_only: ClassVar[bool] = False
    #: Whether ``preprocess`` or ``postprocess`` can take long (decoding an
    #: image, copying a big State): a plain function's call then does them
    #: in its worker thread, off the event loop.
    costly_conversion: ClassVar[bool] = False
    #: Whether the value may arrive as frames of a stream (``stream`` messages),
    #: which fire the ``stream`` listeners instead of ``change``.
    streaming: bool = False
    change: ClassVar[EventListener]
    input: ClassVar[EventListener]
    explicit: frozenset[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Record which constructor arguments each instance was given.

        A listener may return ``gr.Textbox(visible=False)`` to change only the
        properties it names; this is how those names are known.
        """
        super().__init_subclass__(**kwargs)
        cls.checks_whole = cls.check_whole is not Component.check_whole
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        signature = inspect.signature(init)

        @functools.wraps(init)
        def recording_init(self: Component, *args: Any, **kw: Any) -> None:
            if not hasattr(self, "explicit"):
                try:
                    bound = signature.bind_partial(self, *args, **kw)
                except TypeError:
                    # The call itself raises Python's error, which names the class.
                    init(self, *args, **kw)
                    raise
                named = set(bound.arguments) - {"self", "kwargs", "unsupported"}
                self.explicit = frozenset(named | set(kw))
            init(self, *args, **kw)

        cls.__init__ = recording_init  # type: ignore[method-assign]

    def __init__(
        self,
        value: Any = None,
        *,
        label: str | None = None,
        info: str | None = None,
        show_label: bool | None = None,
        interactive: bool | None = None,
        visible: bool = True,
        elem_id: str | None = None,
        elem_classes: list[str] | str | None = None,
        render: bool = True,
        every: float | None = None,
        inputs: Any = None,
        **unsupported: Any,
    ) -> None:
        name = type(self).__name__
        if (every is not None or inputs is not None) and not callable(value):
            raise DeclarationError(f"{name}: every= and inputs= need a callable value")

        self.every_timer = _timer_for(every)
        self.value_inputs = inputs
        if callable(value):
            warn_on_arity(value, _count_inputs(inputs), f"{name} value function")

        self.label = label
        self.info = info
        self.show_label = True if show_label is None else show_label
        self.interactive = interactive
        self.value = value
        super().__init__(
            visible=visible,
            elem_id=elem_id,
            elem_classes=elem_classes,
            render=render,
            **unsupported,
        )

    @property
    def name(self) -> str:
        """How messages name this component: its label, else kind and id."""
        if self.label:
            return f"{type(self).__name__} '{self.label}'"
        return f"{type(self).__name__} {self.id}"

    def initial_value(self) -> Any:
        """The wire value a new session starts with (None for a callable)."""
        if callable(self.value):
            return self.postprocess(None)
        return self.postprocess(self.value)

    def fresh_value(self, initial: Any) -> Any:
        """A session's own copy of the initial value (server-only components)."""
        return initial

    def preprocess(self, value: Any) -> Any:
        """Turn a stored wire value into what the listener function receives."""
        return value

    def postprocess(self, value: Any) -> Any:
        """Turn what a listener function returned into a wire value."""
        return value

    def validate(self, value: Any) -> Any:
        """Check a value sent by a client and return its wire form.

        Raises:
            ValueError: naming the component and what it expected.
        """
        return value

    #: Whether the class has a ``check_whole`` of its own (set for each).
    checks_whole: ClassVar[bool] = False

    def check_whole(self, value: Any) -> None:
        """Check a validated value through and through, where that is costly.

        ``validate`` runs on the event loop and must stay quick; what takes
        long (decoding every pixel of an upload) goes here, and runs in a
        worker thread before the value is used.

        Raises:
            ValueError: naming the component and what is wrong.
        """

    def validate_output(self, value: Any) -> Any:
        """Check a value the page computed for this output (a listener's js).

        Like ``validate``, but for outputs the user cannot edit directly.
        """
        return self.validate(value)

    def user_events(self, previous: Any, value: Any) -> tuple[str, ...]:
        """The events a user's edit from ``previous`` to ``value`` fires."""
        return ("input", "change")

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "label": self.label if self.label is not None else type(self).__name__,
            "show_label": self.show_label,
            "info": self.info,
            "interactive": self.interactive,
        }

    def updatable_props(self) -> frozenset[str]:
        """The properties a listener may change with ``gr.update(...)``."""
        return frozenset(self.props()) | {"value"}


def _count_inputs(inputs: Any) -> int:
    """How many arguments ``inputs`` gives a function (a set gives one dict)."""
    if inputs is None:
        return 0
    if isinstance(inputs, (list, tuple)):
        return len(inputs)
    return 1


def _timer_for(every: float | None) -> Any:
    if every is None:
        return None
    from reactive_blocks.declaration.components._timer import Timer

    return Timer(every, render=False)


Component.change = EventListener(
    "change",
    trigger_mode="always_last",
    doc="The value changed, by the user or by a listener's output.",
)
Component.input = EventListener("input", doc="The user edited the value.")
