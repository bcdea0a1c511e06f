"""The immutable description of an app, produced once at launch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from reactive_blocks.declaration._block import Block, BlockContext
from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._listeners import Listener, _components

if TYPE_CHECKING:
    from reactive_blocks.declaration._blocks import Blocks


@dataclass(frozen=True)
class PageOptions:
    """What the served page carries besides the app: title, CSS, JS, head."""

    title: str = "Gradio"
    css: str = ""
    js: str | None = None
    head: str = ""
    fill_height: bool = False
    fill_width: bool = False


@dataclass(frozen=True)
class QueueOptions:
    """Options of ``Blocks.queue()``."""

    max_size: int | None = None
    default_concurrency_limit: int | None = 1
    status_update_rate: float | Literal["auto"] = "auto"
    api_open: bool = False

    @classmethod
    def from_environment(cls) -> QueueOptions:
        from reactive_blocks.declaration._blocks import (
            default_concurrency_from_environment,
        )

        return cls(default_concurrency_limit=default_concurrency_from_environment())


@dataclass(frozen=True)
class AppSpec:
    """Everything the runtime needs to serve an app, fixed at launch.

    Attributes:
        root_id: The id of the app's ``Blocks``.
        blocks: Every block by id, in layout order.
        components: The components among them.
        listeners: Declared listeners, plus one load listener per component
            whose value is a callable.
        initial_values: Each component's wire value when a session starts.
        config: The JSON-ready app description sent to every new session.
        page: Page options.
        queue: Queue options.
    """

    root_id: int
    blocks: dict[int, Block]
    components: dict[int, Component]
    listeners: tuple[Listener, ...]
    initial_values: dict[int, Any]
    config: dict[str, Any]
    page: PageOptions
    queue: QueueOptions
    mode: str = "blocks"

    @classmethod
    def build(cls, app: Blocks, page: PageOptions | None = None) -> AppSpec:
        page = app.page if page is None else page
        blocks = {block.id: block for block in _walk(app)}
        for block in list(blocks.values()):
            timer = getattr(block, "every_timer", None)
            if timer is not None:
                blocks[timer.id] = timer
        components = {i: b for i, b in blocks.items() if isinstance(b, Component)}
        listeners = tuple(app.listeners) + _value_loaders(app, components.values())
        initial = {i: c.initial_value() for i, c in components.items()}
        interactive = _resolve_interactive(components.values(), listeners)

        config = {
            "title": page.title,
            "mode": app.mode,
            "fill_height": page.fill_height,
            "fill_width": page.fill_width,
            "js": page.js,
            "root": _tree(app),
            "blocks": {
                str(i): {
                    "type": b.block_type,
                    "props": _props(b, initial, interactive),
                }
                for i, b in blocks.items()
            },
            "listeners": [_listener_config(ls) for ls in listeners],
        }
        return cls(
            root_id=app.id,
            blocks=blocks,
            components=components,
            listeners=listeners,
            initial_values=initial,
            config=config,
            page=page,
            queue=app.queue_options,
            mode=app.mode,
        )


def _walk(block: Block) -> list[Block]:
    found = [block]
    if isinstance(block, BlockContext):
        for child in block.children:
            found.extend(_walk(child))
    return found


def _tree(block: Block) -> dict[str, Any]:
    if isinstance(block, BlockContext):
        return {"id": block.id, "children": [_tree(c) for c in block.children]}
    return {"id": block.id}


def _props(
    block: Block, initial: dict[int, Any], interactive: dict[int, bool]
) -> dict[str, Any]:
    props = block.props()
    if block.id in initial and not getattr(block, "server_only", False):
        props["value"] = initial[block.id]
    if block.id in interactive:
        props["interactive"] = interactive[block.id]
    return props


def _resolve_interactive(
    components: Any, listeners: tuple[Listener, ...]
) -> dict[int, bool]:
    """Gradio's rule: unset means editable unless only ever an output."""
    read = {c.id for ls in listeners for c in ls.inputs}
    written = {c.id for ls in listeners for c in ls.outputs}
    resolved = {}
    for component in components:
        if component.interactive is None:
            only_output = component.id in written and component.id not in read
            resolved[component.id] = not only_output
        else:
            resolved[component.id] = bool(component.interactive)
    return resolved


def _value_loaders(app: Blocks, components: Any) -> tuple[Listener, ...]:
    """Listeners computing callable values.

    A value is computed at load, again whenever one of its ``inputs`` changes,
    and every tick of its ``every`` timer.
    """
    loaders: list[Listener] = []
    for component in components:
        if not callable(component.value):
            continue
        inputs, _ = _components(component.value_inputs, "inputs")
        targets: list[tuple[int, str]] = [(app.id, "load")]
        targets += [(i.id, "change") for i in inputs if hasattr(i, "change")]
        if component.every_timer is not None:
            targets.append((component.every_timer.id, "tick"))
        loaders.append(
            Listener(
                id=len(app.listeners) + len(loaders),
                fn=component.value,
                targets=tuple(targets),
                inputs=inputs,
                outputs=(component,),
                show_api=False,
                queue=False,
                show_progress="hidden",
            )
        )
    return tuple(loaders)


def _listener_config(listener: Listener) -> dict[str, Any]:
    return {
        "id": listener.id,
        "targets": [list(t) for t in listener.targets],
        "inputs": [c.id for c in listener.inputs],
        "outputs": [c.id for c in listener.outputs],
        "trigger_mode": listener.trigger_mode,
        "show_progress": listener.show_progress,
        "api_name": listener.api_name,
        "show_api": listener.show_api,
        "js": listener.js,
        "scroll_to_output": listener.scroll_to_output,
        "has_fn": listener.fn is not None,
        "stream_every": listener.stream_every,
    }
