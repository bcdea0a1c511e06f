// LinePlot: a uPlot chart of `{columns, data}`, one line per colour value.

import uPlot from "uplot";
import { type PlotData, buildPlotData } from "../plotdata";
import type { Props } from "../protocol";
import { type BlockFactory, FieldLabel, h, numberProp, touched } from "./block";

const PALETTE = [
  "#f97316",
  "#3b82f6",
  "#22c55e",
  "#a855f7",
  "#ef4444",
  "#14b8a6",
  "#eab308",
  "#ec4899",
  "#6366f1",
  "#84cc16",
];
const DEFAULT_HEIGHT = 300;
// Used while the chart sits in a hidden tab and has no width to measure.
const FALLBACK_WIDTH = 600;
// Marks each finished redraw in the performance timeline; only the newest
// stays there (docs/architecture.md, "Performance marks").
const DRAWN_MARK = "rb:plot-drawn";

const PLOT_PROPS = [
  "value",
  "x",
  "y",
  "color",
  "title",
  "overlay_point",
  "tooltip",
  "x_lim",
  "y_lim",
  "width",
  "height",
  "x_title",
  "y_title",
];

export const lineplot: BlockFactory = ({ id }, app) => {
  const element = h("div", "rb-field");
  const label = new FieldLabel(id, "");
  const target = h("div", "rb-plot");
  const empty = h("div", "rb-plot-empty", "No data");
  const tooltip = h("div", "rb-plot-tooltip");
  element.append(label.element, target, empty);
  tooltip.hidden = true;

  let chart: uPlot | null = null;
  let shown: PlotData | null = null;
  let shape = "";
  const fixedWidth = (): number | null => {
    const w = app.store.get(id).width;
    return typeof w === "number" && w > 0 ? w : null;
  };

  // Follow the block's width unless the app fixed one.
  new ResizeObserver(() => {
    const width = target.clientWidth;
    if (chart && fixedWidth() === null && width > 0 && width !== chart.width) {
      chart.setSize({ width, height: chart.height });
    }
  }).observe(target);

  const draw = (props: Props, onlyValue: boolean): void => {
    const data = buildPlotData(props.value, {
      x: String(props.x ?? ""),
      y: String(props.y ?? ""),
      color: typeof props.color === "string" ? props.color : null,
    });
    shown = data;
    element.dataset.pointCount = String(data?.points ?? 0);
    empty.hidden = data !== null && data.points > 0;
    if (!data || data.points === 0) {
      chart?.destroy();
      chart = null;
      return;
    }

    // A new value with the same series keeps the chart and swaps its data,
    // which spares a live dashboard a full rebuild on every tick.
    const columns: uPlot.AlignedData = [data.xs, ...data.series.map((s) => s.ys)];
    const nextShape = JSON.stringify([data.kind, data.categories, data.series.map((s) => s.name)]);
    if (chart && onlyValue && nextShape === shape) {
      chart.setData(columns);
      return;
    }

    chart?.destroy();
    shape = nextShape;
    const width = fixedWidth() ?? (target.clientWidth || FALLBACK_WIDTH);
    const options = chartOptions(props, data, width, () => shown, tooltip);
    chart = new uPlot(options, columns, target);
    chart.over.append(tooltip);
  };

  return {
    element,
    update(props, changed) {
      label.update(props, changed);
      if (!touched(changed, ...PLOT_PROPS)) return;
      draw(props, changed !== null && changed.size === 1 && changed.has("value"));
    },
  };
};

function chartOptions(
  props: Props,
  data: PlotData,
  width: number,
  current: () => PlotData | null,
  tooltip: HTMLElement,
): uPlot.Options {
  const xTitle = stringOr(props.x_title, String(props.x ?? ""));
  const yTitle = stringOr(props.y_title, String(props.y ?? ""));
  const points = props.overlay_point === true;
  const categories = data.categories;

  const xAxis: uPlot.Axis = { label: xTitle };
  if (data.kind === "category") {
    xAxis.splits = () => categories.map((_, i) => i);
    xAxis.values = (_u, splits) => splits.map((v) => categories[v] ?? "");
  }

  return {
    width,
    height: numberProp(props, "height", DEFAULT_HEIGHT),
    title: typeof props.title === "string" && props.title !== "" ? props.title : undefined,
    scales: {
      x: { time: data.kind === "time", range: limits(props.x_lim) ?? categoryRange(data) },
      y: { range: limits(props.y_lim) },
    },
    axes: [xAxis, { label: yTitle }],
    legend: { show: typeof props.color === "string" && props.color !== "" },
    series: [
      { label: xTitle },
      ...data.series.map((s, i) => ({
        label: s.name,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        // Series are aligned on every x of the plot; a null only means
        // another series has a point there, so lines run across it.
        spanGaps: true,
        points: {
          show: points || s.ys.filter((y) => y !== null).length === 1,
          size: 7,
          fill: PALETTE[i % PALETTE.length],
        },
      })),
    ],
    hooks: {
      setCursor: [(u) => showTooltip(u, props, current(), tooltip)],
      draw: [markDrawn],
    },
  };
}

function markDrawn(): void {
  performance.clearMarks(DRAWN_MARK);
  performance.mark(DRAWN_MARK);
}

function limits(value: unknown): [number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [min, max] = value;
  return typeof min === "number" && typeof max === "number" ? [min, max] : undefined;
}

function categoryRange(data: PlotData): [number, number] | undefined {
  return data.kind === "category" ? [-0.5, data.categories.length - 0.5] : undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}

/** Columns the tooltip lists: `tooltip` as given, or the plotted ones. */
function tooltipColumns(props: Props, data: PlotData): string[] {
  const t = props.tooltip;
  if (t === "none" || (Array.isArray(t) && t.length === 0)) return [];
  if (t === "all") return data.columns;
  if (Array.isArray(t)) return t.map(String);
  return [props.x, props.y, props.color].filter(
    (c): c is string => typeof c === "string" && c !== "",
  );
}

/** Shows the row of the point nearest the cursor at the hovered x. */
function showTooltip(u: uPlot, props: Props, data: PlotData | null, tooltip: HTMLElement): void {
  const idx = u.cursor.idx;
  tooltip.hidden = true;
  if (idx == null || data === null) return;
  const columns = tooltipColumns(props, data);
  if (columns.length === 0) return;

  const cursorTop = u.cursor.top ?? 0;
  let row = -1;
  let top = 0;
  for (let i = 0; i < data.series.length; i++) {
    const y = data.series[i].ys[idx];
    const at = data.series[i].rows[idx];
    if (y == null || at == null || !u.series[i + 1].show) continue;
    const pos = u.valToPos(y, "y");
    if (row < 0 || Math.abs(pos - cursorTop) < Math.abs(top - cursorTop)) {
      row = at;
      top = pos;
    }
  }
  if (row < 0) return;

  const lines = columns.map((name) => {
    const line = h("div");
    line.append(
      h("b", undefined, `${name}: `),
      formatCell(data.rows[row]?.[data.columns.indexOf(name)]),
    );
    return line;
  });
  tooltip.replaceChildren(...lines);
  tooltip.style.left = `${u.valToPos(data.xs[idx], "x")}px`;
  tooltip.style.top = `${top}px`;
  tooltip.hidden = false;
}

/** Cell text for the tooltip; long fractions are cut to six significant digits. */
function formatCell(value: unknown): string {
  if (typeof value !== "number" || Number.isInteger(value))
    return value == null ? "" : String(value);
  return String(Number(value.toPrecision(6)));
}
