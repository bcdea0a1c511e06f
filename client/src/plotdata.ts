// Turns a LinePlot value (`{columns, data}`) into uPlot's aligned columns:
// one shared, sorted x array and one y array per series, null where a series
// has no point at that x.

export type AxisKind = "number" | "time" | "category";

export interface Series {
  name: string;
  ys: (number | null)[];
  /** For each x slot, the row of the value the series shows there. */
  rows: (number | null)[];
}

export interface PlotData {
  kind: AxisKind;
  xs: number[];
  /** Category names, by x position, when `kind` is "category". */
  categories: string[];
  series: Series[];
  /** Points handed to the chart: the non-null y values of every series. */
  points: number;
  columns: string[];
  rows: unknown[][];
}

export interface PlotFields {
  x: string;
  y: string;
  color: string | null;
}

/** Returns null when the value is empty or names none of the columns asked for. */
export function buildPlotData(value: unknown, fields: PlotFields): PlotData | null {
  const table = value as { columns?: unknown; data?: unknown } | null;
  if (!table || !Array.isArray(table.columns) || !Array.isArray(table.data)) return null;
  const columns = table.columns.map(String);
  const rows = table.data.filter(Array.isArray) as unknown[][];
  const xi = columns.indexOf(fields.x);
  const yi = columns.indexOf(fields.y);
  const ci = fields.color === null ? -1 : columns.indexOf(fields.color);
  if (xi < 0 || yi < 0) return null;

  const { kind, toX, categories } = xAxis(rows.map((r) => r[xi]));
  const xs = [...new Set(rows.map((r) => toX(r[xi])).filter((x) => x !== null))].sort(
    (a, b) => a - b,
  );
  const slot = new Map(xs.map((x, i) => [x, i]));

  // One series per distinct colour value, in order of first appearance.
  const series = new Map<string, Series>();
  let points = 0;
  rows.forEach((row, index) => {
    const x = toX(row[xi]);
    const y = toNumber(row[yi]);
    if (x === null || y === null) return;

    const name = ci < 0 ? fields.y : String(row[ci]);
    let s = series.get(name);
    if (!s) {
      s = { name, ys: xs.map(() => null), rows: xs.map(() => null) };
      series.set(name, s);
    }
    const at = slot.get(x) as number;
    if (s.ys[at] === null) points++;
    s.ys[at] = y;
    s.rows[at] = index;
  });

  return { kind, xs, categories, series: [...series.values()], points, columns, rows };
}

function toNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

// Dates arrive as ISO 8601 text ("2024-05-01", "2024-05-01T12:00:00Z").
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** Numbers stay numbers, dates become epoch seconds, anything else a category index. */
function xAxis(values: unknown[]): {
  kind: AxisKind;
  toX: (v: unknown) => number | null;
  categories: string[];
} {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.every((v) => toNumber(v) !== null)) {
    return { kind: "number", toX: toNumber, categories: [] };
  }
  if (
    present.every((v) => typeof v === "string" && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)))
  ) {
    const toX = (v: unknown): number | null =>
      typeof v === "string" ? Date.parse(v) / 1000 : null;
    return { kind: "time", toX, categories: [] };
  }

  const categories = [...new Set(present.map(String))];
  const index = new Map(categories.map((c, i) => [c, i]));
  const toX = (v: unknown): number | null => (v == null ? null : (index.get(String(v)) ?? null));
  return { kind: "category", toX, categories };
}
