from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from reactive_blocks.declaration._component import Component
from reactive_blocks.declaration._unsupported import Refused

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where first needed: it is most of the library's import
# time (about 0.4 s), which every app would pay at start even without plots.


class LinePlot(Component):
    """A line chart of a pandas DataFrame.

    Args:
        value: A DataFrame, or a callable returning one per session.
        x: The column on the horizontal axis.
        y: The column on the vertical axis.
        color: A column whose distinct values each get their own line.
        title: The chart's title.
        x_title: The horizontal axis title (``x`` when None).
        y_title: The vertical axis title (``y`` when None).
        overlay_point: Whether to mark every point on the lines.
        tooltip: Columns shown when hovering a point.
        x_lim: ``[min, max]`` of the horizontal axis.
        y_lim: ``[min, max]`` of the vertical axis.
        width: The chart's width in pixels (the block's width when None).
        height: The chart's height in pixels.
        **kwargs: Common component options (``label``, ``visible``…).
    """

    block_type: ClassVar[str] = "lineplot"
    costly_conversion: ClassVar[bool] = True
    unsupported_defaults: ClassVar[Mapping[str, Any]] = {
        **Component.unsupported_defaults,
        # Gradio 5 names for what Gradio 6 shows through buttons=.
        "show_fullscreen_button": False,
        "show_export_button": False,
        "x_bin": None,
        "color_map": None,
        "colors_in_legend": None,
        "x_label_angle": 0,
        "y_label_angle": 0,
        "x_axis_format": None,
        "y_axis_format": None,
        "x_axis_labels_visible": True,
        "caption": None,
        "container": True,
        "scale": None,
        "min_width": 160,
        "buttons": None,
        # Gradio titles the legend with the color column, sums the y values of
        # a repeated category and orders categories its own way by default.
        "color_title": Refused("the legend has no title"),
        "y_aggregate": Refused("a repeated x keeps its last y"),
        "sort": Refused("categories are shown in the order they first appear"),
    }

    def __init__(
        self,
        value: pd.DataFrame | Any = None,
        *,
        x: str | None = None,
        y: str | None = None,
        color: str | None = None,
        title: str | None = None,
        x_title: str | None = None,
        y_title: str | None = None,
        overlay_point: bool = False,
        tooltip: list[str] | None = None,
        x_lim: list[float] | None = None,
        y_lim: list[float] | None = None,
        width: int | None = None,
        height: int | None = None,
        **kwargs: Any,
    ) -> None:
        for name, lim in (("x_lim", x_lim), ("y_lim", y_lim)):
            if lim is not None and len(lim) != 2:
                raise ValueError(f"LinePlot {name} must be [min, max], got {lim!r}")
        self.x, self.y, self.color = x, y, color
        self.title, self.x_title, self.y_title = title, x_title, y_title
        self.overlay_point = overlay_point
        self.tooltip = tooltip
        self.x_lim, self.y_lim = x_lim, y_lim
        self.width, self.height = width, height
        kwargs.setdefault("interactive", False)
        super().__init__(value, **kwargs)

    def preprocess(self, value: Any) -> pd.DataFrame | None:
        import pandas as pd

        if value is None:
            return None
        return pd.DataFrame(value["data"], columns=value["columns"])

    def postprocess(self, value: Any) -> dict[str, Any] | None:
        import pandas as pd

        if value is None:
            return None
        if isinstance(value, dict) and "columns" in value and "data" in value:
            value = self.preprocess(value)  # a wire table, from a listener's js
        if not isinstance(value, pd.DataFrame):
            raise ValueError(
                f"{self.name} needs a pandas DataFrame, got {type(value).__name__}"
            )
        for column in (self.x, self.y, self.color):
            if column is not None and column not in value.columns:
                raise ValueError(
                    f"{self.name}: the DataFrame has no column {column!r}; it has "
                    f"{', '.join(map(str, value.columns))}"
                )
        table = _wire_table(value)
        return {"columns": [str(c) for c in table.columns], "data": _rows(table)}

    def validate(self, value: Any) -> Any:
        raise ValueError(f"{self.name} is not editable")

    def validate_output(self, value: Any) -> dict[str, Any] | None:
        """A table in its wire form, from a caller passing it as an input.

        Only its outline is checked here, on the loop; its rows are checked
        in ``check_whole``, off it (a 600,000-row table took a second).
        """
        if value is None:
            return None
        shape = "a table as {'columns': [names...], 'data': [[row]...]}"
        if not isinstance(value, dict):
            raise ValueError(f"{self.name} needs {shape}, got {type(value).__name__}")
        columns, data = value.get("columns"), value.get("data")
        if not isinstance(columns, list) or not isinstance(data, list):
            raise ValueError(
                f"{self.name} needs {shape}: 'columns' and 'data' must be lists"
            )
        if not all(isinstance(c, str) for c in columns):
            raise ValueError(f"{self.name}: the column names must be strings")
        if len(set(columns)) != len(columns):
            raise ValueError(f"{self.name}: the column names must differ")
        return {"columns": columns, "data": data}

    def check_whole(self, value: Any) -> None:
        if value is None:
            return
        width = len(value["columns"])
        if not all(
            isinstance(row, list) and len(row) == width for row in value["data"]
        ):
            raise ValueError(
                f"{self.name}: every row of 'data' needs one value per column ({width})"
            )
        try:
            self.postprocess(self.preprocess(value))
        except Exception as exc:  # ours, or pandas' own complaint about the table
            text = str(exc)
            named = text if text.startswith(self.name) else f"{self.name}: {text}"
            raise ValueError(named) from None

    def props(self) -> dict[str, Any]:
        return {
            **super().props(),
            "x": self.x,
            "y": self.y,
            "color": self.color,
            "title": self.title,
            "x_title": self.x_title,
            "y_title": self.y_title,
            "overlay_point": self.overlay_point,
            "tooltip": self.tooltip,
            "x_lim": self.x_lim,
            "y_lim": self.y_lim,
            "width": self.width,
            "height": self.height,
        }


def _rows(table: pd.DataFrame) -> list[list[Any]]:
    """The table's rows as lists, with None for missing values.

    A table of numbers without gaps goes through one float array: 0.5 ms for
    10,000 rows against 8 ms through object columns, which held a 20 Hz
    dashboard below its rate.
    """
    import numpy as np
    import pandas as pd

    if all(pd.api.types.is_numeric_dtype(t) for t in table.dtypes) and not any(
        pd.api.types.is_bool_dtype(t) for t in table.dtypes
    ):
        numbers = table.to_numpy(dtype=float)
        if not np.isnan(numbers).any():
            rows: list[list[Any]] = numbers.tolist()
            return rows
    return table.astype(object).where(table.notna(), None).values.tolist()


def _wire_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns the wire can carry: dates as epoch seconds, others as numbers or text."""
    import pandas as pd

    columns = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            if getattr(column.dt, "tz", None) is not None:
                column = column.dt.tz_convert("UTC").dt.tz_localize(None)
            seconds = (column - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
            columns[name] = seconds
        elif pd.api.types.is_timedelta64_dtype(column):
            columns[name] = column.dt.total_seconds()
        elif column.dtype == object:
            numeric = pd.to_numeric(column, errors="coerce")
            columns[name] = (
                numeric
                if numeric.notna().sum() == column.notna().sum()
                else column.map(
                    lambda v: (
                        v
                        if v is None or isinstance(v, (str, bool, int, float))
                        else str(v)
                    )
                )
            )
        else:
            columns[name] = column
    return pd.DataFrame(columns, index=frame.index)
