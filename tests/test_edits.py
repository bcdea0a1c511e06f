"""Edits between JSON values rebuild the new value exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reactive_blocks.protocol import apply_edits, diff_values, equal_values

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=3), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values, json_values)
def test_edits_rebuild_the_second_value(old: Any, new: Any) -> None:
    """Applying diff(old, new) to old gives exactly new, nested shrinking lists included."""
    assert apply_edits(old, diff_values(old, new)) == new


def test_growing_text_is_an_append() -> None:
    """A string that grows travels as the new text only."""
    assert diff_values("Hel", "Hello") == [["append", [], "lo"]]


def test_chat_history_growth_touches_only_the_last_message() -> None:
    """Streaming into the last chat message edits that message, not the history."""
    old = [["hi", "Hel"]]
    new = [["hi", "Hello"], ["more", None]]
    assert diff_values(old, new) == [
        ["append", [0, 1], "lo"],
        ["append", [], [["more", None]]],
    ]


def test_shrinking_list_is_truncated() -> None:
    """A list that loses its tail is truncated, not resent."""
    assert diff_values([1, 2, 3], [1, 2]) == [["truncate", [], 2]]


def test_equal_values_need_no_edits() -> None:
    """Equal values give no edits at all."""
    assert diff_values({"a": [1, "x"]}, {"a": [1, "x"]}) == []


def test_nested_true_and_one_differ() -> None:
    """A nested True replaced by 1 is a change, though Python's == says equal."""
    assert apply_edits([[True]], diff_values([[True]], [[1]])) == [[1]]
    assert diff_values({"a": [True]}, {"a": [1]}) != []


def test_equal_values_tells_true_from_one_at_any_depth() -> None:
    """equal_values, which the session uses to decide a change, is JSON equality."""
    assert not equal_values([True], [1])
    assert not equal_values({"a": [1.0]}, {"a": [1]})
    assert equal_values({"a": [1, "x"]}, {"a": [1, "x"]})
