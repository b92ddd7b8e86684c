// One composition: progress while it is made (polling GET /compositions/{id}), then its tracks as a
// piano roll with mute and solo, playback, downloads, sharing, chaining a track as a new melody,
// rename and delete.
import { api, apiBytes, errorMessage, type Composition, type Melody } from "../api";
import { field, h, replace, say } from "../dom";
import { figureLabel } from "../figures";
import { parseMidi, songBeats, type Song } from "../music";
import { navigate } from "../router";
import { PianoRoll, TRACK_COLOURS } from "../roll";
import { audio, playParts, stopAll } from "../synth";

const POLL_MS = 1000;

/** Save bytes as a file: the API needs the Authorization header, so a plain link cannot fetch them. */
export function saveBytes(bytes: Uint8Array, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as unknown as BlobPart], { type }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Player {
  element: HTMLElement;
  stop(): void;
}

/** The multi-track roll with per-track mute/solo and a play button, for a parsed song. */
export function songPlayer(song: Song, label: string): Player {
  const muted = new Set<number>();
  let solo: number | null = null;
  let frame = 0;
  const audible = (): number[] => song.parts.map((_, i) => i).filter((i) => (solo === null ? !muted.has(i) : i === solo));
  const dimmed = (): Set<number> => new Set(song.parts.map((_, i) => i).filter((i) => !audible().includes(i)));
  const roll = new PianoRoll({ parts: song.parts, beats: Math.ceil(songBeats(song)), beatsPerBar: song.beatsPerBar, label });
  const trackRows = h("ul", { class: "tracks" });

  function drawTracks(): void {
    replace(
      trackRows,
      ...song.parts.map((part, i) => {
        const mute = h("button", { type: "button", "aria-pressed": String(muted.has(i)), "aria-label": `Mute ${part.name}` }, "M");
        const soloButton = h("button", { type: "button", "aria-pressed": String(solo === i), "aria-label": `Solo ${part.name}` }, "S");
        mute.addEventListener("click", () => {
          if (muted.has(i)) muted.delete(i);
          else muted.add(i);
          drawTracks();
        });
        soloButton.addEventListener("click", () => {
          solo = solo === i ? null : i;
          drawTracks();
        });
        return h(
          "li",
          {},
          h("span", { class: "swatch", style: `background:${TRACK_COLOURS[i % TRACK_COLOURS.length]}` }),
          h("span", { class: "track-name" }, `${part.name} · ${part.notes.length} notes`),
          mute,
          soloButton,
        );
      }),
    );
    roll.update({ dimmed: dimmed() });
  }

  async function play(): Promise<void> {
    stop();
    const parts = audible().map((i) => song.parts[i]);
    const { start, end } = await playParts(parts, song.tempo);
    const tick = (): void => {
      const now = audio().currentTime;
      if (now > end) return roll.setPlayhead(null);
      roll.setPlayhead(Math.max(0, ((now - start) * song.tempo) / 60));
      frame = requestAnimationFrame(tick);
    };
    tick();
  }

  function stop(): void {
    cancelAnimationFrame(frame);
    stopAll();
    roll.setPlayhead(null);
  }

  drawTracks();
  const element = h(
    "div",
    { class: "player" },
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "button", class: "primary", onclick: () => void play() }, "▶ Play"),
      h("button", { type: "button", onclick: () => stop() }, "■ Stop"),
    ),
    trackRows,
    roll.element,
  );
  return { element, stop };
}

export function compositionPage(main: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  const path = `/compositions/${encodeURIComponent(id)}`;
  let timer = 0;
  let player: Player | null = null;
  let stopped = false;
  const heading = h("h1", {}, "Composition");
  const state = h("div", { class: "panel", "aria-live": "polite" });
  const started = Date.now();
  main.append(heading, state);

  async function poll(): Promise<void> {
    if (stopped) return;
    try {
      const composition = await api<Composition>("GET", path);
      if (composition.name) heading.textContent = composition.name;
      if (composition.status === "COMPLETED") return void (await showResult(composition));
      if (composition.status === "FAILED") {
        replace(state, h("p", { class: "error", role: "alert" }, `Failed: ${composition.failureReason ?? "no reason given"}`));
        return;
      }
      const seconds = Math.round((Date.now() - started) / 1000);
      replace(
        state,
        h("p", { class: "progress-line" }, `${composition.status === "PENDING" ? "Queued" : "Composing"} with ${composition.modelId}… ${seconds} s`),
        h("progress", { "aria-label": "Composing" }),
      );
      timer = window.setTimeout(() => void poll(), POLL_MS);
    } catch (error) {
      replace(state, h("p", { class: "error", role: "alert" }, errorMessage(error)));
    }
  }

  async function showResult(composition: Composition): Promise<void> {
    const midi = await apiBytes(`${path}/midi`);
    const song = parseMidi(midi);
    player = songPlayer(song, "Composition piano roll");
    const filename = `${composition.name || composition.id}`.replace(/[^\w.-]+/g, "_");
    const shareOut = h("div", { class: "share-out" });
    const trackSelect = h("select", {}, ...composition.tracks.map((t) => h("option", { value: t.index }, `${t.index + 1}: ${t.name}`)));
    const rename = h("input", { type: "text", value: composition.name ?? "", maxlength: 100, placeholder: "A name for it" });

    const act = (label: string, work: () => Promise<void>, cls?: string): HTMLButtonElement =>
      h(
        "button",
        {
          type: "button",
          class: cls ?? null,
          onclick: async () => {
            try {
              await work();
            } catch (error) {
              say(`${label}: ${errorMessage(error)}`, "error");
            }
          },
        },
        label,
      );

    const metrics = Object.entries(composition.metrics ?? {}).filter(([, v]) => typeof v === "number");
    replace(
      state,
      h("p", {}, `${composition.modelType} · ${composition.modelId} · ${composition.bars ?? "?"} bars · ${song.parts.length} tracks`),
      player.element,
      metrics.length ? h("dl", { class: "metrics" }, ...metrics.flatMap(([k, v]) => [h("dt", { "data-figure": k }, figureLabel(k)), h("dd", {}, String(Math.round(v * 1000) / 1000))])) : null,
      h(
        "div",
        { class: "buttons" },
        act("Download MIDI", async () => saveBytes(midi, `${filename}.mid`, "audio/midi")),
        act("Download WAV", async () => saveBytes(await apiBytes(`${path}/audio?format=wav`, "audio/wav"), `${filename}.wav`, "audio/wav")),
        act("Share link", async () => {
          const share = await api<{ token: string; url: string }>("POST", `${path}/share`);
          const studioUrl = `${location.origin}/studio/shared/${encodeURIComponent(share.token)}`;
          replace(shareOut, h("p", {}, "Anyone with this link can listen: ", h("a", { href: studioUrl }, studioUrl)), h("p", { class: "help" }, `API: ${share.url}`));
        }),
        act("Stop sharing", async () => {
          await api("DELETE", `${path}/share`);
          replace(shareOut, h("p", {}, "The share link no longer works."));
        }),
      ),
      shareOut,
      h(
        "div",
        { class: "row" },
        field("Track", trackSelect),
        act("Use this track as the input", async () => {
          const melody = await api<Melody>("POST", "/melodies", {
            fromComposition: composition.id,
            track: Number(trackSelect.value),
            name: `${composition.name || composition.id} track ${Number(trackSelect.value) + 1}`,
          });
          navigate(`/studio/generate?melody=${encodeURIComponent(melody.id)}`);
        }),
      ),
      h(
        "div",
        { class: "row" },
        field("Name", rename),
        act("Rename", async () => {
          const updated = await api<Composition>("PATCH", path, { name: rename.value.trim() });
          heading.textContent = updated.name || "Composition";
          say("Renamed.");
        }),
        act(
          "Delete",
          async () => {
            if (!confirm("Delete this composition?")) return;
            await api("DELETE", path);
            navigate("/studio/library");
          },
          "danger",
        ),
      ),
    );
  }

  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    player?.stop();
  };
}
