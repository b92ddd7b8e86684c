// The piano roll: an SVG grid of notes. Read-only for compositions (one colour per track, muted
// tracks dimmed); editable for the melody: click an empty cell to add a note, drag a note to move
// it, drag its right edge to resize it; with the keyboard, Tab to a note, arrows move it, Shift+arrows
// resize it, Delete removes it.
import { svg } from "./dom";
import { isBlack, noteName, round, type Note, type Part } from "./music";

export const TRACK_COLOURS = ["#1f4e79", "#b5470f", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c", "#c2185b", "#37474f"];
const ROW = 10;
const KEYS = 34;

export interface RollOptions {
  parts: Part[];
  beats: number;
  beatsPerBar: number;
  editable?: number | null; // index of the part that can be edited
  grid?: number; // beats per cell when adding and moving
  low?: number;
  high?: number;
  dimmed?: Set<number>;
  onChange?: (notes: Note[]) => void;
  label: string;
}

export class PianoRoll {
  readonly element: HTMLDivElement;
  private options: RollOptions;
  private selected: number | null = null;
  private beatWidth = 40;
  private playhead: SVGElement | null = null;

  constructor(options: RollOptions) {
    this.options = options;
    this.element = document.createElement("div");
    this.element.className = "roll";
    this.render();
  }

  update(options: Partial<RollOptions>): void {
    this.options = { ...this.options, ...options };
    this.render();
  }

  private range(): [number, number] {
    let low = this.options.low ?? 127;
    let high = this.options.high ?? 0;
    for (const part of this.options.parts) {
      for (const n of part.notes) {
        low = Math.min(low, n.pitch);
        high = Math.max(high, n.pitch);
      }
    }
    if (low > high) [low, high] = [48, 72];
    return [Math.max(0, low - 2), Math.min(127, high + 2)];
  }

  private render(): void {
    const { parts, beats, beatsPerBar } = this.options;
    const [low, high] = this.range();
    const rows = high - low + 1;
    const width = KEYS + Math.max(beats, beatsPerBar) * this.beatWidth;
    const height = rows * ROW;
    const root = svg("svg", { width, height, class: "roll-svg", "aria-hidden": "false" });
    root.setAttribute("role", "group");
    root.setAttribute("aria-label", this.options.label);
    const y = (pitch: number): number => (high - pitch) * ROW;
    const x = (beat: number): number => KEYS + beat * this.beatWidth;
    for (let p = low; p <= high; p++) {
      root.appendChild(svg("rect", { x: KEYS, y: y(p), width: width - KEYS, height: ROW, class: isBlack(p) ? "lane black" : "lane" }));
      root.appendChild(svg("rect", { x: 0, y: y(p), width: KEYS - 2, height: ROW - 1, class: isBlack(p) ? "pkey black" : "pkey" }));
      if (p % 12 === 0) {
        const label = svg("text", { x: 2, y: y(p) + ROW - 2, class: "key-label" });
        label.textContent = noteName(p);
        root.appendChild(label);
      }
    }
    const total = Math.max(beats, beatsPerBar);
    for (let b = 0; b <= total; b++) {
      root.appendChild(svg("line", { x1: x(b), x2: x(b), y1: 0, y2: height, class: b % beatsPerBar === 0 ? "bar-line" : "beat-line" }));
    }
    parts.forEach((part, index) => {
      const editable = this.options.editable === index;
      part.notes.forEach((n, i) => {
        const rect = svg("rect", {
          x: x(n.start) + 0.5,
          y: y(n.pitch) + 0.5,
          width: Math.max(3, n.duration * this.beatWidth - 1),
          height: ROW - 1,
          rx: 2,
          fill: TRACK_COLOURS[index % TRACK_COLOURS.length],
          class: `note${this.options.dimmed?.has(index) ? " dimmed" : ""}${editable && this.selected === i ? " selected" : ""}`,
          "data-track": index,
          "data-index": i,
        });
        const title = svg("title");
        title.textContent = `${part.name}: ${noteName(n.pitch)} at beat ${round(n.start + 1)}, ${round(n.duration)} beats`;
        rect.appendChild(title);
        if (editable) {
          rect.setAttribute("tabindex", "0");
          rect.setAttribute("role", "button");
          rect.setAttribute("aria-label", `${noteName(n.pitch)} at beat ${round(n.start + 1)}, ${round(n.duration)} beats`);
          rect.addEventListener("keydown", (event) => this.onNoteKey(event as KeyboardEvent, i));
          rect.addEventListener("focus", () => {
            this.selected = i;
            rect.classList.add("selected");
          });
          rect.addEventListener("blur", () => rect.classList.remove("selected"));
        }
        root.appendChild(rect);
      });
    });
    this.playhead = svg("line", { x1: KEYS, x2: KEYS, y1: 0, y2: height, class: "playhead", visibility: "hidden" });
    root.appendChild(this.playhead);
    if (this.options.editable !== null && this.options.editable !== undefined) {
      root.addEventListener("pointerdown", (event) => this.onPointerDown(event as PointerEvent, root, low, high));
      root.classList.add("editable");
    }
    this.element.replaceChildren(root);
  }

  /** Show the playback position (beats), or hide it with null. */
  setPlayhead(beat: number | null): void {
    if (!this.playhead) return;
    if (beat === null) {
      this.playhead.setAttribute("visibility", "hidden");
      return;
    }
    const px = KEYS + beat * this.beatWidth;
    this.playhead.setAttribute("x1", String(px));
    this.playhead.setAttribute("x2", String(px));
    this.playhead.setAttribute("visibility", "visible");
  }

  private notes(): Note[] {
    return this.options.parts[this.options.editable ?? 0].notes;
  }

  private commit(notes: Note[], focusIndex: number | null): void {
    this.selected = focusIndex;
    this.options.onChange?.(notes);
    if (focusIndex !== null) {
      const el = this.element.querySelector<SVGElement>(`rect.note[data-index="${focusIndex}"][tabindex]`);
      el?.focus();
    }
  }

  private onNoteKey(event: KeyboardEvent, index: number): void {
    const grid = this.options.grid ?? 0.25;
    const notes = this.notes().map((n) => ({ ...n }));
    const n = notes[index];
    const beats = Math.max(this.options.beats, this.options.beatsPerBar);
    switch (event.key) {
      case "Delete":
      case "Backspace":
        notes.splice(index, 1);
        event.preventDefault();
        this.commit(notes, null);
        return;
      case "ArrowLeft":
      case "ArrowRight": {
        const step = event.key === "ArrowLeft" ? -grid : grid;
        if (event.shiftKey) n.duration = round(Math.max(grid, n.duration + step));
        else n.start = round(Math.min(Math.max(0, n.start + step), beats - n.duration));
        break;
      }
      case "ArrowUp":
      case "ArrowDown":
        n.pitch = Math.min(127, Math.max(0, n.pitch + (event.key === "ArrowUp" ? 1 : -1)));
        break;
      default:
        return;
    }
    event.preventDefault();
    this.commit(notes, index);
  }

  private onPointerDown(event: PointerEvent, root: SVGElement, low: number, high: number): void {
    const grid = this.options.grid ?? 0.25;
    const box = root.getBoundingClientRect();
    const toBeat = (clientX: number): number => Math.max(0, (clientX - box.left - KEYS) / this.beatWidth);
    const toPitch = (clientY: number): number => Math.min(high, Math.max(low, high - Math.floor((clientY - box.top) / ROW)));
    const target = event.target as SVGElement;
    const beats = Math.max(this.options.beats, this.options.beatsPerBar);
    if (event.clientX - box.left < KEYS) return;
    const notes = this.notes().map((n) => ({ ...n }));
    let index: number;
    let mode: "move" | "resize";
    const startBeat = toBeat(event.clientX);
    if (target.classList.contains("note") && target.hasAttribute("tabindex")) {
      index = Number(target.getAttribute("data-index"));
      const n = notes[index];
      const rightEdge = box.left + KEYS + (n.start + n.duration) * this.beatWidth;
      mode = rightEdge - event.clientX < 6 ? "resize" : "move";
    } else {
      const start = Math.floor(startBeat / grid) * grid;
      if (start >= beats) return;
      notes.push({ pitch: toPitch(event.clientY), start: round(start), duration: grid, velocity: 90 });
      index = notes.length - 1;
      mode = "resize";
    }
    event.preventDefault();
    const original = { ...notes[index] };
    const move = (e: PointerEvent): void => {
      const n = notes[index];
      const delta = Math.round((toBeat(e.clientX) - startBeat) / grid) * grid;
      if (mode === "move") {
        n.start = round(Math.min(Math.max(0, original.start + delta), beats - n.duration));
        n.pitch = toPitch(e.clientY);
      } else {
        n.duration = round(Math.max(grid, Math.min(original.duration + delta, beats - n.start)));
      }
      this.options.parts[this.options.editable ?? 0] = { ...this.options.parts[this.options.editable ?? 0], notes };
      this.render();
    };
    const up = (): void => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      this.commit(notes, index);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }
}
