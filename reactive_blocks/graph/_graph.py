from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from reactive_blocks.declaration import AppSpec, Listener
from reactive_blocks.declaration._listeners import ChainKind
from reactive_blocks.errors import DeclarationError


class Graph:
    """The app's listeners indexed for the runtime.

    Answers, in constant time: which listeners an event on a block fires,
    which listeners follow one that ended (``.then`` and friends), which
    listener an API name means, and which concurrency group a listener is in.

    Args:
        spec: The app description.
    """

    def __init__(self, spec: AppSpec) -> None:
        self.spec = spec
        self.listeners: tuple[Listener, ...] = spec.listeners
        self.root_id = spec.root_id

        by_trigger: dict[tuple[int, str], list[Listener]] = defaultdict(list)
        followers: dict[int, list[tuple[ChainKind, Listener]]] = defaultdict(list)
        for listener in self.listeners:
            for target in listener.targets:
                by_trigger[target].append(listener)
            if listener.after is not None:
                parent, kind = listener.after
                followers[parent].append((kind, listener))

        self._by_trigger = {k: tuple(v) for k, v in by_trigger.items()}
        self._followers = {k: tuple(v) for k, v in followers.items()}
        self._by_api_name = {ls.api_name: ls for ls in self.listeners if ls.api_name}
        self.groups = _concurrency_groups(
            self.listeners, spec.queue.default_concurrency_limit
        )
        self._check_targets()

    def fired_by(self, block_id: int, event: str) -> tuple[Listener, ...]:
        """The listeners an ``event`` on block ``block_id`` fires."""
        return self._by_trigger.get((block_id, event), ())

    def events_of(self, block_id: int) -> tuple[str, ...]:
        """The events of block ``block_id`` that some listener targets.

        It scans every target: error messages use it, not the hot path.
        """
        return tuple(dict.fromkeys(e for (b, e) in self._by_trigger if b == block_id))

    def followers(self, listener_id: int) -> tuple[tuple[ChainKind, Listener], ...]:
        """Listeners chained after ``listener_id`` with ``.then/.success/.failure``."""
        return self._followers.get(listener_id, ())

    def by_api_name(self, name: str) -> Listener | None:
        """The listener with this API name (a leading ``/`` is ignored)."""
        return self._by_api_name.get(name.lstrip("/"))

    def listener(self, listener_id: int) -> Listener | None:
        """The listener with this id, if any."""
        if 0 <= listener_id < len(self.listeners):
            return self.listeners[listener_id]
        return None

    def _check_targets(self) -> None:
        for listener in self.listeners:
            for block_id, _event in listener.targets:
                if block_id not in self.spec.blocks:
                    raise DeclarationError(
                        f"listener {listener.name} listens to block {block_id}, "
                        "which is not placed in this app; create it inside the "
                        "'with gr.Blocks()' block or call .render() on it"
                    )
            for component in (*listener.inputs, *listener.outputs):
                if component.id not in self.spec.components:
                    raise DeclarationError(
                        f"listener {listener.name} uses {component.name}, which is "
                        "not placed in this app; render it inside the Blocks"
                    )


class ConcurrencyGroups:
    """Which group each listener runs in, and each group's limit.

    A group runs at most its lowest member limit at a time, across all
    sessions. Listeners without a ``concurrency_id`` that share one Python
    function share a group; others get a group of their own.
    """

    def __init__(self, group_of: dict[int, str], limits: dict[str, int | None]) -> None:
        self._group_of = group_of
        self.limits = limits

    def group_of(self, listener_id: int) -> str:
        return self._group_of[listener_id]


def _concurrency_groups(
    listeners: Iterable[Listener], default_limit: int | None
) -> ConcurrencyGroups:
    group_of: dict[int, str] = {}
    limits: dict[str, int | None] = {}
    fn_groups: dict[Any, str] = {}

    for listener in listeners:
        group = listener.concurrency_id or _fn_group(listener, fn_groups)
        group_of[listener.id] = group
        limit = (
            default_limit
            if listener.concurrency_limit == "default"
            else listener.concurrency_limit
        )
        assert not isinstance(limit, str)
        limits[group] = _lowest(limits[group], limit) if group in limits else limit
    return ConcurrencyGroups(group_of, limits)


def _fn_group(listener: Listener, fn_groups: dict[Any, str]) -> str:
    key: Callable[..., Any] | int = (
        listener.fn if listener.fn is not None else listener.id
    )
    try:
        return fn_groups.setdefault(key, f"fn:{listener.id}")
    except TypeError:
        return f"fn:{listener.id}"


def _lowest(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
