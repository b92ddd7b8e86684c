// The studio page: play the keyboard, record up to 8 bars over a metronome and count-in, quantise,
// edit the notes in the piano roll, load a built-in sample or a MIDI file, undo, and save the melody.
import { api, apiBytes, errorMessage, listAll, type Melody } from "../api";
import { field, h, say } from "../dom";
import { Keyboard } from "../keyboard";
import { MAX_BARS, melodyUpload, parseMidi, quantise, round, type Note } from "../music";
import { PianoRoll } from "../roll";
import { audio, click, playNote, playParts, stopAll } from "../synth";

const METERS: Record<string, number> = { "4/4": 4, "3/4": 3, "2/4": 2, "6/8": 3 };

interface Take {
  notes: Note[];
  tempo: number;
  meter: string;
  bars: number;
}

export function recordPage(main: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let take: Take = { notes: [], tempo: 100, meter: "4/4", bars: 4 };
  const undo: Take[] = [];
  let recording: { t0: number; end: number; held: Map<number, { start: number; velocity: number }>; timer: number } | null = null;
  const releases = new Map<number, () => void>();
  let recordedNotes: Note[] = [];
  let frame = 0;

  const beatsPerBar = (): number => METERS[take.meter];
  const totalBeats = (): number => take.bars * beatsPerBar();
  const spb = (): number => 60 / take.tempo;

  const tempo = h("input", { type: "number", min: 40, max: 240, step: 1, value: take.tempo, name: "tempo" });
  const meter = h("select", { name: "meter" }, ...Object.keys(METERS).map((m) => h("option", { value: m }, m)));
  const bars = h("input", { type: "number", min: 1, max: MAX_BARS, step: 1, value: take.bars, name: "bars" });
  const metronome = h("input", { type: "checkbox", checked: true, name: "metronome" });
  const countIn = h("input", { type: "checkbox", checked: true, name: "countIn" });
  const grid = h(
    "select",
    { name: "grid" },
    h("option", { value: "1" }, "quarter"),
    h("option", { value: "0.5" }, "eighth"),
    h("option", { value: "0.25", selected: true }, "sixteenth"),
  );
  const name = h("input", { type: "text", value: "My melody", maxlength: 100, name: "name" });
  const recordButton = h("button", { type: "button", class: "primary", onclick: () => (recording ? stopRecording() : startRecording()) }, "● Record");
  const undoButton = h("button", { type: "button", onclick: () => doUndo(), disabled: true }, "Undo");
  const counter = h("span", { class: "counter", "aria-live": "off" });
  const noteCount = h("span", { class: "note-count" });
  const sampleSelect = h("select", { name: "sample" }, h("option", { value: "" }, "Choose a sample…"));
  const fileInput = h("input", { type: "file", accept: ".mid,.midi,audio/midi", name: "midiFile" });

  const roll = new PianoRoll({
    parts: [{ name: "Melody", program: 0, notes: [] }],
    beats: totalBeats(),
    beatsPerBar: beatsPerBar(),
    editable: 0,
    low: 41,
    high: 72,
    label: "Melody piano roll (Tab to a note; arrows move it, Shift+arrows resize, Delete removes; click an empty cell to add)",
    onChange: (notes) => change({ ...take, notes }),
  });

  function draw(): void {
    tempo.value = String(take.tempo);
    meter.value = take.meter;
    bars.value = String(take.bars);
    undoButton.disabled = undo.length === 0;
    noteCount.textContent = `${take.notes.length} notes`;
    roll.update({ parts: [{ name: "Melody", program: 0, notes: take.notes }], beats: totalBeats(), beatsPerBar: beatsPerBar(), grid: Number(grid.value) });
  }

  function change(next: Take): void {
    undo.push(take);
    if (undo.length > 100) undo.shift();
    take = next;
    draw();
  }

  function doUndo(): void {
    const previous = undo.pop();
    if (previous) take = previous;
    draw();
  }

  const keyboard = new Keyboard((pitch, velocity, on) => {
    if (on) {
      releases.get(pitch)?.();
      void playNote(0, pitch, velocity).then((release) => releases.set(pitch, release));
    } else {
      releases.get(pitch)?.();
      releases.delete(pitch);
    }
    if (!recording) return;
    const now = (audio().currentTime - recording.t0) / spb();
    if (on) recording.held.set(pitch, { start: Math.max(0, now), velocity });
    else finishNote(pitch, now);
  });

  function finishNote(pitch: number, nowBeats: number): void {
    if (!recording) return;
    const held = recording.held.get(pitch);
    if (!held) return;
    recording.held.delete(pitch);
    const end = Math.min(nowBeats, totalBeats());
    if (held.start >= totalBeats()) return;
    recordedNotes.push({ pitch, start: round(held.start), duration: round(Math.max(1 / 16, end - held.start)), velocity: held.velocity });
    take = { ...take, notes: [...recordedNotes] };
    draw();
  }
  function startRecording(): void {
    const ctx = audio();
    const count = countIn.checked ? beatsPerBar() : 0;
    const first = ctx.currentTime + 0.15;
    const t0 = first + count * spb();
    const total = totalBeats();
    for (let b = -count; b < (metronome.checked ? total : 0); b++) click(t0 + b * spb(), ((b % beatsPerBar()) + beatsPerBar()) % beatsPerBar() === 0);
    undo.push(take);
    recordedNotes = [];
    take = { ...take, notes: [] };
    const end = t0 + total * spb();
    recording = { t0, end, held: new Map(), timer: window.setTimeout(() => stopRecording(), (end - ctx.currentTime) * 1000) };
    recordButton.textContent = "■ Stop";
    recordButton.setAttribute("aria-pressed", "true");
    say(count ? `Count-in: ${count} beats, then recording ${take.bars} bars.` : `Recording ${take.bars} bars.`);
    const tick = (): void => {
      if (!recording) return;
      const beat = (audio().currentTime - recording.t0) / spb();
      counter.textContent = beat < 0 ? `count-in ${Math.ceil(-beat)}` : `bar ${Math.floor(beat / beatsPerBar()) + 1}, beat ${Math.floor(beat % beatsPerBar()) + 1}`;
      roll.setPlayhead(beat < 0 ? null : beat);
      frame = requestAnimationFrame(tick);
    };
    tick();
    draw();
  }

  function stopRecording(): void {
    if (!recording) return;
    const now = (audio().currentTime - recording.t0) / spb();
    for (const pitch of [...recording.held.keys()]) finishNote(pitch, now);
    clearTimeout(recording.timer);
    recording = null;
    cancelAnimationFrame(frame);
    stopAll();
    roll.setPlayhead(null);
    counter.textContent = "";
    recordButton.textContent = "● Record";
    recordButton.removeAttribute("aria-pressed");
    take = { ...take, notes: [...recordedNotes] };
    say(`Recorded ${take.notes.length} note${take.notes.length === 1 ? "" : "s"}.`);
    draw();
  }

  async function play(): Promise<void> {
    stopAll();
    const { start, end } = await playParts([{ name: "Melody", program: 0, notes: take.notes }], take.tempo);
    const tick = (): void => {
      const now = audio().currentTime;
      if (now > end) return roll.setPlayhead(null);
      roll.setPlayhead(Math.max(0, (now - start) / spb()));
      frame = requestAnimationFrame(tick);
    };
    tick();
  }

  function loadSong(bytes: Uint8Array, label: string): void {
    const song = parseMidi(bytes);
    const part = song.parts[0];
    if (!part) throw new Error(`${label} has no notes.`);
    const meterName = song.timeSignature in METERS ? song.timeSignature : "4/4";
    const barsNeeded = Math.min(MAX_BARS, Math.max(1, Math.ceil(Math.max(...part.notes.map((n) => n.start + n.duration)) / METERS[meterName] - 1e-6)));
    change({ tempo: Math.round(song.tempo), meter: meterName, bars: barsNeeded, notes: part.notes });
    say(`Loaded ${label}: ${part.notes.length} notes.`);
  }

  async function save(): Promise<void> {
    try {
      const melody = await api<Melody>("POST", "/melodies", melodyUpload(name.value.trim() || "My melody", take.tempo, take.meter, take.notes));
      say(`Saved “${melody.name}” (${melody.noteCount} notes, ${melody.bars} bars).`);
      saved.replaceChildren(
        h("a", { href: `/studio/generate?melody=${encodeURIComponent(melody.id)}`, class: "button", "data-melody-id": melody.id }, "Compose with this melody →"),
      );
    } catch (error) {
      say(errorMessage(error), "error");
    }
  }
  const saved = h("div", { class: "saved" });

  tempo.addEventListener("change", () => change({ ...take, tempo: Math.min(240, Math.max(40, Number(tempo.value) || 100)) }));
  meter.addEventListener("change", () => change({ ...take, meter: meter.value }));
  bars.addEventListener("change", () => change({ ...take, bars: Math.min(MAX_BARS, Math.max(1, Math.round(Number(bars.value) || 4))) }));
  grid.addEventListener("change", () => draw());
  sampleSelect.addEventListener("change", async () => {
    if (!sampleSelect.value) return;
    try {
      loadSong(await apiBytes(`/melodies/${encodeURIComponent(sampleSelect.value)}/midi`), sampleSelect.selectedOptions[0].text);
      name.value = sampleSelect.selectedOptions[0].text;
    } catch (error) {
      say(errorMessage(error), "error");
    }
  });
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      loadSong(new Uint8Array(await file.arrayBuffer()), file.name);
      name.value = file.name.replace(/\.midi?$/i, "");
    } catch (error) {
      say(`Could not read ${file.name}: ${errorMessage(error)}`, "error");
    }
  });
  listAll<Melody>("/melodies")
    .then((melodies) => {
      for (const m of melodies.filter((m) => m.builtin)) sampleSelect.appendChild(h("option", { value: m.id }, m.name));
    })
    .catch((error) => say(errorMessage(error), "error"));

  main.append(
    h("h1", {}, "Studio"),
    h(
      "p",
      { class: "lead" },
      "Play the keyboard with the mouse, touch, a MIDI keyboard or your computer keys (A W S E D F T G Y H U J K O L P ; ' play C to F; Z and X shift an octave). Record, then fix notes in the roll.",
    ),
    h(
      "section",
      { class: "panel controls", "aria-label": "Recording settings" },
      field("Tempo (bpm)", tempo),
      field("Meter", meter),
      field("Bars (1-8)", bars),
      h("div", { class: "field check" }, h("label", {}, metronome, " Metronome")),
      h("div", { class: "field check" }, h("label", {}, countIn, " Count-in (one bar)")),
      h("div", { class: "buttons" }, recordButton, h("button", { type: "button", onclick: () => void play() }, "▶ Play"), counter),
    ),
    keyboard.element,
    h(
      "section",
      { class: "panel", "aria-label": "Edit" },
      h(
        "div",
        { class: "row" },
        field("Grid", grid),
        h("button", { type: "button", onclick: () => change({ ...take, notes: quantise(take.notes, Number(grid.value)) }) }, "Quantise"),
        undoButton,
        h("button", { type: "button", onclick: () => change({ ...take, notes: [] }) }, "Clear"),
        noteCount,
      ),
      roll.element,
    ),
    h(
      "section",
      { class: "panel controls", "aria-label": "Other inputs and saving" },
      field("Built-in sample", sampleSelect),
      field("Or a MIDI file", fileInput),
      field("Melody name", name),
      h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: () => void save() }, "Save melody")),
      saved,
    ),
  );
  draw();
  if (query.get("melody")) {
    sampleSelect.value = query.get("melody") as string;
    void apiBytes(`/melodies/${encodeURIComponent(query.get("melody") as string)}/midi`)
      .then((bytes) => loadSong(bytes, "the melody"))
      .catch((error) => say(errorMessage(error), "error"));
  }
  return () => {
    if (recording) stopRecording();
    keyboard.dispose();
    cancelAnimationFrame(frame);
    stopAll();
  };
}
