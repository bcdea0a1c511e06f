"""Edits between JSON values, so a growing value travels as what changed.

An edit is ``[op, path, argument]``; ``path`` is a list of list indices and
dict keys from the value's root:

* ``["replace", path, value]``: put ``value`` at ``path`` (``[]`` is the root).
* ``["append", path, more]``: a string at ``path`` gets ``more`` appended; a
  list at ``path`` is extended by the items of ``more``.
* ``["truncate", path, n]``: the list at ``path`` keeps its first ``n`` items.
* ``["delete", path]``: the dict key at the end of ``path`` is removed.

``diff(old, new)`` gives edits that ``apply(old, edits)`` turns into ``new``;
the browser client applies the same edits.
"""

from __future__ import annotations

import copy
from typing import Any

Edit = list[Any]
Path = list[int | str]


def diff(old: Any, new: Any) -> list[Edit]:
    """Edits that turn ``old`` into ``new`` (empty when they are equal)."""
    edits: list[Edit] = []
    _diff(old, new, [], edits)
    return edits


def _diff(old: Any, new: Any, path: Path, edits: list[Edit]) -> None:
    if type(old) is not type(new):
        edits.append(["replace", path, new])
    elif isinstance(new, str):
        if old == new:
            return
        if old and new.startswith(old):
            edits.append(["append", path, new[len(old) :]])
        else:
            edits.append(["replace", path, new])
    elif isinstance(new, list):
        _diff_list(old, new, path, edits)
    elif isinstance(new, dict):
        _diff_dict(old, new, path, edits)
    elif old != new:
        edits.append(["replace", path, new])


def _diff_list(old: list[Any], new: list[Any], path: Path, edits: list[Edit]) -> None:
    shared = min(len(old), len(new))
    if shared > 2 and not equal(old[0], new[0]) and not equal(old[-1], new[shared - 1]):
        # Changed at both ends: most likely a new series; a scan would not pay.
        edits.append(["replace", path, new])
        return
    changed = [i for i in range(shared) if not equal(old[i], new[i])]
    if len(changed) > max(1, shared // 2):
        edits.append(["replace", path, new])
        return
    for i in changed:
        _diff(old[i], new[i], [*path, i], edits)
    if len(new) < len(old):
        edits.append(["truncate", path, len(new)])
    elif len(new) > len(old):
        edits.append(["append", path, new[shared:]])


def _diff_dict(
    old: dict[str, Any], new: dict[str, Any], path: Path, edits: list[Edit]
) -> None:
    for key in old:
        if key not in new:
            edits.append(["delete", [*path, key]])
    for key, value in new.items():
        if key not in old:
            edits.append(["replace", [*path, key], value])
        elif not equal(old[key], value):
            _diff(old[key], value, [*path, key], edits)


def equal(a: Any, b: Any) -> bool:
    """Equal as JSON: ``True`` and ``1`` differ at any depth, unlike for ``==``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(equal(v, b[k]) for k, v in a.items())
    return bool(a == b)


def apply(value: Any, edits: list[Edit], *, in_place: bool = False) -> Any:
    """The value ``edits`` make of ``value``.

    ``value`` itself is left unchanged unless ``in_place``, which saves a deep
    copy when the caller owns the value (a client's mirror).
    """
    if not in_place:
        value = copy.deepcopy(value)
    for edit in edits:
        value = _apply_one(value, edit)
    return value


def _apply_one(root: Any, edit: Edit) -> Any:
    op, path = edit[0], edit[1]
    if op == "delete":
        parent = _at(root, path[:-1])
        del parent[path[-1]]
        return root
    if op == "replace" and not path:
        return edit[2]
    if op == "replace":
        _at(root, path[:-1])[path[-1]] = edit[2]
        return root

    target = _at(root, path)
    if op == "append" and isinstance(target, str):
        grown = target + edit[2]
        if not path:
            return grown
        _at(root, path[:-1])[path[-1]] = grown
    elif op == "append":
        target.extend(edit[2])
    elif op == "truncate":
        del target[edit[2] :]
    else:
        raise ValueError(f"unknown edit {op!r}")
    return root


def _at(root: Any, path: Path) -> Any:
    for key in path:
        root = root[key]
    return root
