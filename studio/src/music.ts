// Notes in beats, MIDI in and out (via @tonejs/midi), and quantising: what every page shares.
import { Midi } from "@tonejs/midi";

export interface Note {
  pitch: number;
  start: number; // beats from the start
  duration: number; // beats
  velocity: number; // 1-127
}

export interface Part {
  name: string;
  program: number;
  notes: Note[];
}

export interface Song {
  tempo: number;
  beatsPerBar: number;
  timeSignature: string;
  parts: Part[];
}

export const KEYBOARD_LOW = 41;
export const KEYBOARD_HIGH = 72;
export const MAX_BARS = 8;

const NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

export function noteName(pitch: number): string {
  return `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}

export function isBlack(pitch: number): boolean {
  return [1, 3, 6, 8, 10].includes(pitch % 12);
}

export function parseMidi(bytes: Uint8Array): Song {
  const midi = new Midi(bytes);
  const tempo = midi.header.tempos[0]?.bpm ?? 120;
  const signature = midi.header.timeSignatures[0]?.timeSignature ?? [4, 4];
  const ppq = midi.header.ppq;
  const beatsPerBar = (signature[0] * 4) / signature[1];
  const parts = midi.tracks
    .filter((track) => track.notes.length > 0)
    .map((track) => ({
      name: track.name || track.instrument.name,
      program: track.instrument.number,
      notes: track.notes.map((n) => ({
        pitch: n.midi,
        start: n.ticks / ppq,
        duration: Math.max(n.durationTicks / ppq, 1 / 16),
        velocity: Math.max(1, Math.round(n.velocity * 127)),
      })),
    }));
  return { tempo: Math.round(tempo * 1000) / 1000, beatsPerBar, timeSignature: `${signature[0]}/${signature[1]}`, parts };
}

/** Snap starts and ends to a grid of `grid` beats (0.25 = a 16th); a note keeps at least one cell. */
export function quantise(notes: Note[], grid: number): Note[] {
  return notes.map((n) => {
    const start = Math.round(n.start / grid) * grid;
    const end = Math.max(start + grid, Math.round((n.start + n.duration) / grid) * grid);
    return { ...n, start: round(start), duration: round(end - start) };
  });
}

export function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}

export function songBeats(song: Song): number {
  let end = 0;
  for (const part of song.parts) for (const n of part.notes) end = Math.max(end, n.start + n.duration);
  return end;
}

/** The melody as the API's JSON upload: `POST /melodies {name, tempo, timeSignature, notes}`. */
export function melodyUpload(name: string, tempo: number, timeSignature: string, notes: Note[]): unknown {
  return {
    name,
    tempo,
    timeSignature,
    notes: [...notes]
      .sort((a, b) => a.start - b.start || a.pitch - b.pitch)
      .map((n) => ({ pitch: n.pitch, start: round(n.start), duration: round(n.duration), velocity: n.velocity })),
  };
}
