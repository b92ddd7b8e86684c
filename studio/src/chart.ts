// A small SVG line chart: one line per series over epochs, with axes, ticks and a legend.
import { svg } from "./dom";
import { TRACK_COLOURS } from "./roll";

export interface Series {
  name: string;
  points: [number, number][];
}

const W = 520;
const H = 220;
const PAD = { left: 52, right: 12, top: 12, bottom: 28 };

function ticks(low: number, high: number, count: number): number[] {
  if (low === high) return [low];
  const step = (high - low) / count;
  return Array.from({ length: count + 1 }, (_, i) => low + i * step);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

export function lineChart(title: string, series: Series[]): SVGElement {
  const all = series.flatMap((s) => s.points);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H + 20 * Math.ceil(series.length / 3)}`, class: "chart", role: "img" });
  root.setAttribute("aria-label", `${title}: ${series.map((s) => `${s.name} ${s.points.length ? fmt(s.points[s.points.length - 1][1]) : "none"}`).join(", ")}`);
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
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(Math.max(...xs), Math.min(...xs) + 1)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number): number => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number): number => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  root.appendChild(svg("rect", { x: PAD.left, y: PAD.top, width: W - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom, class: "chart-area" }));
  for (const t of ticks(y0, y1, 4)) {
    root.appendChild(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: py(t), y2: py(t), class: "chart-grid" }));
    const label = svg("text", { x: PAD.left - 4, y: py(t) + 4, "text-anchor": "end", class: "chart-tick" });
    label.textContent = fmt(t);
    root.appendChild(label);
  }
  const epochs = [...new Set(xs)].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(epochs.length / 10));
  epochs.forEach((e, i) => {
    if (i % every) return;
    const label = svg("text", { x: px(e), y: H - PAD.bottom + 16, "text-anchor": "middle", class: "chart-tick" });
    label.textContent = String(e);
    root.appendChild(label);
  });
  series.forEach((s, i) => {
    const colour = TRACK_COLOURS[i % TRACK_COLOURS.length];
    const d = s.points.map((p, j) => `${j ? "L" : "M"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join("");
    root.appendChild(svg("path", { d, stroke: colour, fill: "none", "stroke-width": 2, class: "chart-line", "data-series": s.name }));
    for (const p of s.points) root.appendChild(svg("circle", { cx: px(p[0]), cy: py(p[1]), r: 2.5, fill: colour }));
    const lx = PAD.left + (i % 3) * 160;
    const ly = H + 8 + 20 * Math.floor(i / 3);
    root.appendChild(svg("rect", { x: lx, y: ly, width: 12, height: 4, fill: colour }));
    const label = svg("text", { x: lx + 16, y: ly + 6, class: "chart-legend" });
    label.textContent = s.name;
    root.appendChild(label);
  });
  return root;
}
