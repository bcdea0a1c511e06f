"""A listener's inputs prepared and its result converted, in the call of its function.

A component's ``preprocess`` (an upload decoded into an array) and
``postprocess`` (an array encoded as a PNG) can take as long as the function
itself. For a plain ``def`` function whose inputs or outputs convert at a
cost, they run in the same executor call as the function, in its worker
thread, so they never hold the event loop and cost no extra thread hop.

An ``async def`` function runs on the loop; its inputs are prepared and its
result converted on the loop too, as moving them to a thread would add a
hop to every call. So are the values a generator yields, which its stream
hands to the loop one by one.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Awaitable
from typing import Any, Final, NamedTuple

from reactive_blocks.declaration import Listener
from reactive_blocks.scheduler._outputs import OutputChange, output_changes, split_batch

#: What a call hands back as it is, for the loop to convert as it comes: a
#: generator's values, or what a sync wrapper of an async function returned.
#: One isinstance against these costs 0.16 us, ``inspect``'s three
#: predicates 0.5 us.
_UNCONVERTED: Final = (types.GeneratorType, types.AsyncGeneratorType, Awaitable)


class Converted(list[OutputChange]):
    """The output changes a function's result makes, made where it ran.

    A list rather than a wrapper object: building it is one C call.
    """

    __slots__ = ()


class ConvertedBatch(NamedTuple):
    """A batch function's result converted where it ran: one item per event."""

    items: list[Converted]


def converts_in_call(listener: Listener) -> bool:
    """Whether ``listener``'s calls prepare and convert its values themselves.

    True for a plain function with an input or output whose conversion is
    costly (``Component.costly_conversion``). Cheap conversions (a Textbox's
    ``str``) stay on the loop: doing them in the call cost about 2 us more
    per event, a tenth of the loop's own work for a quick event. A sync
    generator function prepares costly inputs in the call that creates it.
    """
    fn = listener.fn
    if fn is None or inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        return False
    costly_inputs = listener.preprocess and any(
        c.costly_conversion for c in listener.inputs
    )
    if inspect.isgeneratorfunction(fn):
        return costly_inputs
    costly_outputs = listener.postprocess and any(
        c.costly_conversion for c in listener.outputs
    )
    return costly_inputs or costly_outputs


def prepared_inputs(listener: Listener, values: list[Any]) -> list[Any]:
    """The arguments ``listener``'s function gets for its inputs' ``values``."""
    if listener.transforms_inputs:
        values = [c.preprocess(v) for c, v in zip(listener.inputs, values, strict=True)]
    if listener.inputs_as_dict:
        return [dict(zip(listener.inputs, values, strict=True))]
    return values


def call_converting(
    listener: Listener, values: list[Any], kwargs: dict[str, Any] | None
) -> Any:
    """Call the function on prepared ``values``; convert what it returns.

    A generator, or an awaitable from a sync wrapper of an async function,
    comes back as it is: its values are converted on the loop as they come.
    """
    assert listener.fn is not None
    arguments = prepared_inputs(listener, values)
    result = listener.fn(*arguments, **kwargs) if kwargs else listener.fn(*arguments)
    if isinstance(result, _UNCONVERTED):
        return result
    return Converted(output_changes(listener, result))


def call_batch_converting(listener: Listener, batch: list[list[Any]]) -> Any:
    """Call a batch function on the prepared values of every event in ``batch``.

    An awaitable that a sync wrapper of an async function returned comes
    back as it is.
    """
    assert listener.fn is not None
    result = listener.fn(*batch_columns(listener, batch))
    if isinstance(result, _UNCONVERTED):
        return result
    return ConvertedBatch(
        [
            Converted(output_changes(listener, item))
            for item in split_batch(listener, result, len(batch))
        ]
    )


def batch_columns(listener: Listener, batch: list[list[Any]]) -> list[list[Any]]:
    """A batch function's arguments: one list per input, one item per event."""
    arguments = [prepared_inputs(listener, values) for values in batch]
    return [list(c) for c in zip(*arguments, strict=True)] if arguments[0] else []
