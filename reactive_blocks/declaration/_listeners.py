"""Event listeners: how ``btn.click(fn, inputs, outputs)`` is declared."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, get_args

from reactive_blocks.declaration import _context
from reactive_blocks.declaration._arity import warn_on_arity
from reactive_blocks.declaration._unsupported import reject_unsupported
from reactive_blocks.errors import DeclarationError

if TYPE_CHECKING:
    from reactive_blocks.declaration._block import Block
    from reactive_blocks.declaration._blocks import Blocks
    from reactive_blocks.declaration._component import Component

TriggerMode = Literal["once", "multiple", "always_last"]
ShowProgress = Literal["full", "minimal", "hidden"]
ChainKind = Literal["then", "success", "failure"]

TRIGGER_MODES: Final = get_args(TriggerMode)
SHOW_PROGRESS: Final = get_args(ShowProgress)


@dataclass(eq=False)
class Listener:
    """One declared listener: what fires it, what it runs, what it reads and writes.

    Frozen in practice once the app launches: the graph and scheduler read it
    and never change it.
    """

    id: int
    fn: Callable[..., Any] | None
    targets: tuple[tuple[int, str], ...]
    inputs: tuple[Component, ...]
    outputs: tuple[Component, ...]
    inputs_as_dict: bool = False
    api_name: str | None = None
    show_api: bool = True
    show_progress: ShowProgress = "full"
    queue: bool = True
    batch: bool = False
    max_batch_size: int = 4
    preprocess: bool = True
    postprocess: bool = True
    trigger_mode: TriggerMode = "once"
    concurrency_limit: int | Literal["default"] | None = "default"
    concurrency_id: str | None = None
    cancels: tuple[int, ...] = ()
    after: tuple[int, ChainKind] | None = None
    js: str | None = None
    scroll_to_output: bool = False
    time_limit: float | None = None
    stream_every: float = 0.5

    @functools.cached_property
    def sent_inputs(self) -> tuple[Component, ...]:
        """The inputs a client sends values for: all but ``State``.

        This and the two below are asked on every call; computed once, they
        saved about a microsecond a call.
        """
        return tuple(c for c in self.inputs if not c.server_only)

    @functools.cached_property
    def shown_outputs(self) -> tuple[Component, ...]:
        """The outputs a client sees: all but ``State``."""
        return tuple(c for c in self.outputs if not c.server_only)

    @functools.cached_property
    def checks_sent_values(self) -> bool:
        """Whether a value a client sends for a call is checked whole first.

        The values are the inputs' for a function, the outputs' for a
        listener that is only js (it sends what its js computed).
        """
        sent = self.inputs if self.fn is not None else self.outputs
        return any(c.checks_whole for c in sent)

    @functools.cached_property
    def transforms_inputs(self) -> bool:
        """Whether any input's ``preprocess`` changes what the function gets."""
        from reactive_blocks.declaration._component import Component

        return self.preprocess and any(
            type(c).preprocess is not Component.preprocess for c in self.inputs
        )

    @property
    def name(self) -> str:
        """How messages name this listener."""
        if self.api_name:
            return f"'{self.api_name}'"
        fn_name = getattr(self.fn, "__name__", None)
        return f"'{fn_name}'" if fn_name else f"{self.id}"


class Dependency:
    """The handle a listener declaration returns.

    Pass it to another listener's ``cancels=`` or chain from it with
    ``.then()``, ``.success()`` and ``.failure()``.
    """

    def __init__(self, root: Blocks, listener: Listener) -> None:
        self.root = root
        self.listener = listener

    def then(
        self,
        fn: Callable[..., Any] | None,
        inputs: Any = None,
        outputs: Any = None,
        **options: Any,
    ) -> Dependency:
        """Run ``fn`` after this listener ends, however it ends."""
        return self._chain("then", fn, inputs, outputs, options)

    def success(
        self,
        fn: Callable[..., Any] | None,
        inputs: Any = None,
        outputs: Any = None,
        **options: Any,
    ) -> Dependency:
        """Run ``fn`` after this listener ends without an error or cancel."""
        return self._chain("success", fn, inputs, outputs, options)

    def failure(
        self,
        fn: Callable[..., Any] | None,
        inputs: Any = None,
        outputs: Any = None,
        **options: Any,
    ) -> Dependency:
        """Run ``fn`` after this listener ends with an error."""
        return self._chain("failure", fn, inputs, outputs, options)

    def _chain(
        self,
        kind: ChainKind,
        fn: Callable[..., Any] | None,
        inputs: Any,
        outputs: Any,
        options: dict[str, Any],
    ) -> Dependency:
        return declare_listener(
            self.root,
            (),
            fn,
            inputs,
            outputs,
            (self.listener.id, kind),
            **options,
        )

    def __repr__(self) -> str:
        return f"Dependency(listener={self.listener.id})"


class EventListener:
    """A class attribute that makes ``component.<event>(fn, inputs, outputs)``.

    Args:
        event: The event's name on the wire, e.g. ``"click"``.
        trigger_mode: The default trigger mode of listeners of this event.
        show_progress: The default progress display of its listeners.
        requires: Called with the block before a listener is declared; raises
            ``DeclarationError`` when the event can never fire on that block.
        doc: One line saying when the event fires.
    """

    def __init__(
        self,
        event: str,
        *,
        trigger_mode: TriggerMode = "once",
        show_progress: ShowProgress = "full",
        requires: Callable[[Any], None] | None = None,
        doc: str = "",
    ) -> None:
        self.event = event
        self.trigger_mode = trigger_mode
        self.show_progress = show_progress
        self.requires = requires
        self.__doc__ = doc

    def __get__(self, block: Block | None, owner: type | None = None) -> Any:
        if block is None:
            return self
        return functools.partial(self._listen, block)

    def _listen(
        self,
        block: Block,
        fn: Any = "decorator",
        inputs: Any = None,
        outputs: Any = None,
        **options: Any,
    ) -> Any:
        root = _context.current_root() or block.root
        if root is None:
            raise DeclarationError(
                f"{block!r}.{self.event}() was called outside any Blocks; declare "
                "listeners inside 'with gr.Blocks():'"
            )
        if self.requires is not None:
            self.requires(block)
        options.setdefault("trigger_mode", None)
        if options["trigger_mode"] is None:
            options["trigger_mode"] = self.trigger_mode
        options.setdefault("show_progress", self.show_progress)

        if fn == "decorator":

            def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
                declare_listener(
                    root, ((block.id, self.event),), func, inputs, outputs, **options
                )
                return func

            return decorator
        return declare_listener(
            root, ((block.id, self.event),), fn, inputs, outputs, **options
        )


#: Gradio's listener options not built yet, with their defaults.
_UNSUPPORTED_DEFAULTS: Final[dict[str, Any]] = {
    "like_user_message": False,
    "trigger_after": None,
    "api_description": None,
    "show_progress_on": None,
    "key": None,
    "validator": None,
    "api_visibility": "public",
    "inputs_kwargs": None,
}


def declare_listener(
    root: Blocks,
    targets: tuple[tuple[int, str], ...],
    fn: Callable[..., Any] | None,
    inputs: Any = None,
    outputs: Any = None,
    after: tuple[int, ChainKind] | None = None,
    /,
    *,
    api_name: str | Literal[False] | None = None,
    show_api: bool = True,
    show_progress: str = "full",
    queue: bool = True,
    batch: bool = False,
    max_batch_size: int = 4,
    preprocess: bool = True,
    postprocess: bool = True,
    cancels: Any = None,
    trigger_mode: str | None = "once",
    concurrency_limit: int | Literal["default"] | None = "default",
    concurrency_id: str | None = None,
    js: str | None = None,
    scroll_to_output: bool = False,
    time_limit: float | None = None,
    stream_every: float = 0.5,
    **unsupported: Any,
) -> Dependency:
    """Validate one listener declaration and add it to ``root``.

    ``after`` (the listener this one follows, and how) is positional only, so
    that no user option can set it: ``.then``, ``.success`` and ``.failure``
    do. ``stream_every`` matters only for ``stream`` listeners: the page sends a
    frame that often, and the server runs the listener at most that often
    per session. ``time_limit`` on a ``stream`` listener also ends the stream
    that many seconds after its first frame.
    """
    reject_unsupported("event listener", unsupported, _UNSUPPORTED_DEFAULTS)
    if fn is not None and not callable(fn):
        raise DeclarationError(f"listener fn must be callable or None, got {fn!r}")
    trigger_mode = trigger_mode or "once"
    if trigger_mode not in TRIGGER_MODES:
        raise DeclarationError(
            f"trigger_mode={trigger_mode!r} is not one of {', '.join(TRIGGER_MODES)}"
        )
    if show_progress not in SHOW_PROGRESS:
        raise DeclarationError(
            f"show_progress={show_progress!r} is not one of {', '.join(SHOW_PROGRESS)}"
        )
    _check_limit(concurrency_limit)
    if time_limit is not None and (isinstance(time_limit, bool) or not time_limit > 0):
        raise DeclarationError(
            f"time_limit must be a positive number of seconds, got {time_limit!r}"
        )
    if not _is_positive_seconds(stream_every):
        raise DeclarationError(
            f"stream_every must be a positive number of seconds, got {stream_every!r}"
        )
    if js is not None and not isinstance(js, str):
        raise DeclarationError("js must be the source text of a JavaScript function")
    if batch and (not isinstance(max_batch_size, int) or max_batch_size < 1):
        raise DeclarationError(
            f"max_batch_size must be a positive int, got {max_batch_size!r}"
        )
    if batch and fn is not None and _is_generator(fn):
        raise DeclarationError("batch=True does not work with generator functions")

    input_list, as_dict = _components(inputs, "inputs")
    output_list, _ = _components(outputs, "outputs")
    listener = Listener(
        id=len(root.listeners),
        fn=fn,
        targets=targets,
        inputs=input_list,
        outputs=output_list,
        inputs_as_dict=as_dict,
        api_name=root.unique_api_name(api_name, fn),
        show_api=show_api and fn is not None,
        show_progress=show_progress,  # type: ignore[arg-type]
        queue=queue,
        batch=batch,
        max_batch_size=max_batch_size,
        preprocess=preprocess,
        postprocess=postprocess,
        trigger_mode=trigger_mode,  # type: ignore[arg-type]
        concurrency_limit=concurrency_limit,
        concurrency_id=concurrency_id,
        cancels=_cancelled_ids(cancels),
        after=after,
        js=js,
        scroll_to_output=scroll_to_output,
        time_limit=time_limit,
        stream_every=float(stream_every),
    )
    if fn is not None:
        warn_on_arity(fn, 1 if as_dict else len(input_list), "listener function")
    root.listeners.append(listener)
    return Dependency(root, listener)


def _check_limit(limit: Any) -> None:
    if limit is None or limit == "default":
        return
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise DeclarationError(
            f"concurrency_limit must be a positive int, None or 'default', got {limit!r}"
        )


def _is_positive_seconds(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and value > 0


def _is_generator(fn: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)


def _components(value: Any, what: str) -> tuple[tuple[Component, ...], bool]:
    """Flatten a listener's inputs or outputs into components.

    A set means the function takes (or returns) one dict keyed by component.
    A layout block stands for every component inside it.
    """
    from reactive_blocks.declaration._block import BlockContext
    from reactive_blocks.declaration._component import Component

    if value is None:
        return (), False
    as_dict = isinstance(value, (set, frozenset))
    items: Iterable[Any] = (
        value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    )

    found: list[Component] = []
    for item in items:
        if isinstance(item, Component):
            found.append(item)
        elif isinstance(item, BlockContext):
            found.extend(_inner_components(item))
        else:
            raise DeclarationError(f"listener {what} must be components, got {item!r}")
    return tuple(found), as_dict


def _inner_components(context: Any) -> list[Component]:
    from reactive_blocks.declaration._block import BlockContext
    from reactive_blocks.declaration._component import Component

    found: list[Component] = []
    for child in context.children:
        if isinstance(child, Component):
            found.append(child)
        elif isinstance(child, BlockContext):
            found.extend(_inner_components(child))
    return found


def _cancelled_ids(cancels: Any) -> tuple[int, ...]:
    if cancels is None:
        return ()
    handles = cancels if isinstance(cancels, (list, tuple)) else [cancels]
    ids = []
    for handle in handles:
        if not isinstance(handle, Dependency):
            raise DeclarationError(
                f"cancels= takes the values returned by listeners, got {handle!r}"
            )
        ids.append(handle.listener.id)
    return tuple(ids)
