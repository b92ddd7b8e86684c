// A Web Audio sampler: short notes rendered at build time from the server's SoundFont
// (studio/render_samples.py), pitch-shifted to each note by playbackRate. Nothing leaves the origin.
import type { Note, Part } from "./music";

interface Manifest {
  sampleRate: number;
  holdSeconds: number;
  programs: Record<string, number[]>;
}

let context: AudioContext | null = null;
let master: GainNode | null = null;
let manifest: Promise<Manifest> | null = null;
const buffers = new Map<string, Promise<AudioBuffer>>();
const playing = new Set<AudioScheduledSourceNode>();

/** Counters the browser tests read to see that the audio graph really ran. */
export const audioStats = { nodesStarted: 0, samplesLoaded: 0 };
(window as unknown as { studioAudio: unknown }).studioAudio = {
  stats: audioStats,
  state: () => context?.state ?? "none",
  time: () => context?.currentTime ?? 0,
};

export function audio(): AudioContext {
  if (!context) {
    context = new AudioContext({ latencyHint: "interactive" });
    master = context.createGain();
    master.gain.value = 0.8;
    master.connect(context.destination);
  }
  if (context.state === "suspended") void context.resume();
  return context;
}

function out(): GainNode {
  audio();
  return master as GainNode;
}

function loadManifest(): Promise<Manifest> {
  manifest ??= fetch("/studio/samples/manifest.json").then((r) => r.json() as Promise<Manifest>);
  return manifest;
}

/** The nearest rendered program: the same one, else the closest number in the same family of eight. */
function pickProgram(m: Manifest, program: number): number {
  const available = Object.keys(m.programs).map(Number);
  if (available.includes(program)) return program;
  const family = available.filter((p) => Math.floor(p / 8) === Math.floor(program / 8));
  const pool = family.length ? family : available;
  return pool.reduce((best, p) => (Math.abs(p - program) < Math.abs(best - program) ? p : best), pool[0]);
}

async function sampleFor(program: number, pitch: number): Promise<{ buffer: AudioBuffer; rate: number }> {
  const m = await loadManifest();
  const chosen = pickProgram(m, program);
  const pitches = m.programs[String(chosen)];
  const root = pitches.reduce((best, p) => (Math.abs(p - pitch) < Math.abs(best - pitch) ? p : best), pitches[0]);
  const key = `p${chosen}-${root}`;
  let buffer = buffers.get(key);
  if (!buffer) {
    buffer = fetch(`/studio/samples/${key}.wav`)
      .then((r) => r.arrayBuffer())
      .then((data) => audio().decodeAudioData(data))
      .then((decoded) => {
        audioStats.samplesLoaded += 1;
        return decoded;
      });
    buffers.set(key, buffer);
  }
  return { buffer: await buffer, rate: Math.pow(2, (pitch - root) / 12) };
}

/** Load the samples a set of parts needs before playback starts, so the first notes are on time. */
export async function preload(parts: Part[]): Promise<void> {
  const wanted: Promise<unknown>[] = [];
  for (const part of parts) {
    const pitches = new Set(part.notes.map((n) => n.pitch));
    for (const pitch of pitches) wanted.push(sampleFor(part.program, pitch));
  }
  await Promise.all(wanted);
}

/** Play one note at `when` (AudioContext time) for `seconds`; returns a function that releases it early. */
export async function playNote(program: number, pitch: number, velocity: number, when = 0, seconds?: number): Promise<() => void> {
  const { buffer, rate } = await sampleFor(program, pitch);
  const ctx = audio();
  const start = Math.max(when, ctx.currentTime);
  const source = ctx.createBufferSource();
  source.buffer = buffer;
  source.playbackRate.value = rate;
  const gain = ctx.createGain();
  const level = (velocity / 127) ** 1.5;
  gain.gain.setValueAtTime(level, start);
  source.connect(gain).connect(out());
  const release = (at: number): void => {
    gain.gain.setTargetAtTime(0, at, 0.06);
    source.stop(at + 0.4);
  };
  source.onended = () => playing.delete(source);
  source.start(start);
  playing.add(source);
  audioStats.nodesStarted += 1;
  if (seconds !== undefined) release(start + Math.max(0.05, seconds));
  let released = seconds !== undefined;
  return () => {
    if (!released) release(ctx.currentTime);
    released = true;
  };
}

export function stopAll(): void {
  for (const source of playing) {
    try {
      source.stop();
    } catch {
      // already stopped
    }
  }
  playing.clear();
}

/** Schedule every audible part from `fromBeat`; resolves to the AudioContext time the music ends. */
export async function playParts(parts: Part[], tempo: number, fromBeat = 0): Promise<{ start: number; end: number }> {
  await preload(parts);
  const ctx = audio();
  const secondsPerBeat = 60 / tempo;
  const start = ctx.currentTime + 0.1;
  let end = start;
  for (const part of parts) {
    for (const n of part.notes) {
      if (n.start + n.duration <= fromBeat) continue;
      const at = start + (Math.max(n.start, fromBeat) - fromBeat) * secondsPerBeat;
      const seconds = (n.start + n.duration - Math.max(n.start, fromBeat)) * secondsPerBeat;
      end = Math.max(end, at + seconds);
      void playNote(part.program, n.pitch, n.velocity, at, seconds);
    }
  }
  return { start, end };
}

/** A metronome click: a short sine blip, higher on the first beat of a bar. */
export function click(when: number, accent: boolean): void {
  const ctx = audio();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = accent ? 1760 : 1100;
  gain.gain.setValueAtTime(0.3, when);
  gain.gain.exponentialRampToValueAtTime(0.001, when + 0.05);
  osc.connect(gain).connect(out());
  osc.onended = () => playing.delete(osc);
  osc.start(when);
  osc.stop(when + 0.06);
  playing.add(osc);
  audioStats.nodesStarted += 1;
}

export type { Note };
