// A small SVG line chart: one line per series over epochs, with titled axes, round ticks and a
// legend. Series on different scales get two y axes: the similarity index (0-1) next to figures in
// percent would be a flat line at the bottom of a shared axis, so it is drawn dashed against its own
// axis on the right, and the legend says so.
import { svg } from "./dom";
import { TRACK_COLOURS } from "./roll";

export interface Series {
  name: string;
  points: [number, number][];
  /** Drawn against the right-hand axis. */
  right?: boolean;
}

export interface Axes {
  x: string;
  left: string;
  right?: string;
  /** A fixed range for the right axis (the similarity index's 0 to 1), else fitted to its series. */
  rightRange?: [number, number];
}

const W = 520;
const H = 240;
const PAD = { left: 62, right: 14, top: 12, bottom: 40 };
const RIGHT_AXIS = 62;
const LEGEND_ROW = 20;
const CHAR = 6.2; // the legend's 11px font, per character, for laying out its entries

/** Two to six round values covering [low, high] (steps of 1, 2, 2.5 or 5 times a power of ten). */
export function niceTicks(low: number, high: number): number[] {
  if (!(high > low)) return [low];
  const rough = (high - low) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const first = Math.floor(low / step + 1e-9);
  const decimals = Math.max(0, 1 - Math.floor(Math.log10(step)));
  const out: number[] = [];
  for (let i = first; (i - 1) * step < high - 1e-9 * step; i += 1) out.push(Number((i * step).toFixed(decimals)));
  return out;
}

/** Tick labels with as many decimals as their step needs, so neighbours never read the same. */
function tickLabels(ticks: number[]): string[] {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  let decimals = 0;
  while (decimals < 8 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals += 1;
  return ticks.map((t) => t.toFixed(decimals));
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? String(Number(v.toFixed(2))) : String(Number(v.toPrecision(2)));
}

function range(series: Series[]): [number, number] {
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let [low, high] = [Math.min(...ys), Math.max(...ys)];
  if (low === high) [low, high] = [low - 1, high + 1];
  const ticks = niceTicks(low, high);
  return [ticks[0], ticks[ticks.length - 1]];
}

function axisTitle(text: string, x: number, y: number): SVGElement {
  const title = svg("text", { x, y, "text-anchor": "middle", transform: `rotate(-90 ${x} ${y})`, class: "chart-axis-title" });
  title.textContent = text;
  return title;
}

export function lineChart(title: string, series: Series[], axes: Axes): SVGElement {
  const all = series.flatMap((s) => s.points);
  const left = series.filter((s) => !s.right);
  const right = series.filter((s) => s.right);
  const twoAxes = right.length > 0 && left.length > 0;
  const padRight = twoAxes ? RIGHT_AXIS : PAD.right;
  const plotRight = W - padRight;
  // Legend entries flow left to right and wrap; the picture grows by the rows they take.
  const entries = series.map((s) => `${s.name}${twoAxes && s.right ? " · right axis" : ""}`);
  const places: [number, number][] = [];
  let [lx, row] = [PAD.left, 0];
  for (const entry of entries) {
    const width = 22 + entry.length * CHAR;
    if (lx > PAD.left && lx + width > W) [lx, row] = [PAD.left, row + 1];
    places.push([lx, H + 4 + row * LEGEND_ROW]);
    lx += width + 12;
  }
  const height = H + (entries.length ? (row + 1) * LEGEND_ROW + 4 : 0);
  const root = svg("svg", { viewBox: `0 0 ${W} ${height}`, class: "chart", role: "img" });
  const summary = series.map((s, i) => `${entries[i]} ${s.points.length ? fmt(s.points[s.points.length - 1][1]) : "none"}`);
  root.setAttribute("aria-label", `${title}: ${summary.join(", ")}`);
  const heading = svg("title");
  heading.textContent = title;
  root.appendChild(heading);
  if (!all.length) {
    const empty = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "chart-empty" });
    empty.textContent = "No epochs yet";
    root.appendChild(empty);
    return root;
  }
  const xs = all.map((p) => p[0]);
  const [x0, x1] = [Math.min(...xs), Math.max(Math.max(...xs), Math.min(...xs) + 1)];
  const plotBottom = H - PAD.bottom;
  const px = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (plotRight - PAD.left);
  const scale = ([low, high]: [number, number]) => (y: number) => plotBottom - ((y - low) / (high - low)) * (plotBottom - PAD.top);
  const leftRange = range(left.length ? left : right);
  const rightRange = axes.rightRange ?? (right.length ? range(right) : leftRange);
  const pyLeft = scale(leftRange);
  const pyRight = twoAxes ? scale(rightRange) : pyLeft;
  root.appendChild(svg("rect", { x: PAD.left, y: PAD.top, width: plotRight - PAD.left, height: plotBottom - PAD.top, class: "chart-area" }));
  const leftTicks = niceTicks(...leftRange);
  tickLabels(leftTicks).forEach((text, i) => {
    const y = pyLeft(leftTicks[i]);
    root.appendChild(svg("line", { x1: PAD.left, x2: plotRight, y1: y, y2: y, class: "chart-grid" }));
    const label = svg("text", { x: PAD.left - 4, y: y + 4, "text-anchor": "end", class: "chart-tick", "data-axis": "left" });
    label.textContent = text;
    root.appendChild(label);
  });
  root.appendChild(axisTitle(left.length ? axes.left : (axes.right ?? axes.left), 14, (PAD.top + plotBottom) / 2));
  if (twoAxes) {
    const rightTicks = niceTicks(...rightRange);
    tickLabels(rightTicks).forEach((text, i) => {
      const y = pyRight(rightTicks[i]);
      root.appendChild(svg("line", { x1: plotRight, x2: plotRight + 4, y1: y, y2: y, class: "chart-axis" }));
      const label = svg("text", { x: plotRight + 6, y: y + 4, "text-anchor": "start", class: "chart-tick", "data-axis": "right" });
      label.textContent = text;
      root.appendChild(label);
    });
    root.appendChild(axisTitle(axes.right ?? "", W - 10, (PAD.top + plotBottom) / 2));
  }
  const epochs = [...new Set(xs)].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(epochs.length / 10));
  epochs.forEach((e, i) => {
    if (i % every) return;
    const label = svg("text", { x: px(e), y: plotBottom + 16, "text-anchor": "middle", class: "chart-tick" });
    label.textContent = String(e);
    root.appendChild(label);
  });
  const xTitle = svg("text", { x: (PAD.left + plotRight) / 2, y: plotBottom + 34, "text-anchor": "middle", class: "chart-axis-title" });
  xTitle.textContent = axes.x;
  root.appendChild(xTitle);
  series.forEach((s, i) => {
    const colour = TRACK_COLOURS[i % TRACK_COLOURS.length];
    const py = s.right ? pyRight : pyLeft;
    const dash: Record<string, string> = twoAxes && s.right ? { "stroke-dasharray": "6 3" } : {};
    const d = s.points.map((p, j) => `${j ? "L" : "M"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join("");
    root.appendChild(
      svg("path", { d, stroke: colour, fill: "none", "stroke-width": 2, class: "chart-line", "data-series": s.name, "data-axis": s.right && twoAxes ? "right" : "left", ...dash }),
    );
    for (const p of s.points) root.appendChild(svg("circle", { cx: px(p[0]), cy: py(p[1]), r: 2.5, fill: colour }));
    const [x, y] = places[i];
    root.appendChild(svg("line", { x1: x, x2: x + 16, y1: y + 6, y2: y + 6, stroke: colour, "stroke-width": 3, ...dash }));
    const label = svg("text", { x: x + 22, y: y + 10, class: "chart-legend" });
    label.textContent = entries[i];
    root.appendChild(label);
  });
  return root;
}
