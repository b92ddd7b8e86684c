// A training job, live: status and epoch, the per-epoch losses and music figures drawn as SVG charts
// from GET /training-jobs/{id}'s history (polled while it runs), each epoch's sample, and stop.
import { api, apiBytes, errorMessage, type EpochEntry, type TrainingJob, type TrainingSample } from "../api";
import { lineChart, type Axes, type Series } from "../chart";
import { h, replace, say } from "../dom";
import { FIGURES, words } from "../figures";
import { parseMidi } from "../music";
import { playParts, stopAll } from "../synth";

const POLL_MS = 1500;
const RUNNING = new Set(["QUEUED", "STARTING", "TRAINING", "STOPPING"]);
const NOT_LOSSES = new Set(["epoch", "seconds", "steps", "metrics", "losses"]);

/** The loss series of a history: the `losses` map where the job has one, else its numeric *Loss fields. */
export function lossSeries(history: EpochEntry[]): Series[] {
  const byName = new Map<string, [number, number][]>();
  for (const entry of history) {
    const losses: Record<string, unknown> =
      entry.losses && Object.keys(entry.losses).length
        ? entry.losses
        : Object.fromEntries(Object.entries(entry).filter(([k]) => /loss/i.test(k) && !NOT_LOSSES.has(k)));
    for (const [name, value] of Object.entries(losses)) {
      if (typeof value !== "number") continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)?.push([entry.epoch, value]);
    }
  }
  return [...byName.entries()].map(([name, points]) => ({ name: words(name), points }));
}

/** The music-figure series of a history, labelled with their units, and the axis titles they need. */
export function metricChart(history: EpochEntry[]): { series: Series[]; axes: Axes } {
  const byName = new Map<string, [number, number][]>();
  for (const entry of history) {
    for (const [name, value] of Object.entries(entry.metrics ?? {})) {
      if (typeof value !== "number") continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)?.push([entry.epoch, value]);
    }
  }
  const known = [...byName.keys()].map((name) => ({ name, ...(FIGURES[name] ?? { label: words(name), unit: "value" }) }));
  const rank = (f: { name: string; right?: boolean }): number => (f.name === "similarity" ? 0 : f.right ? 1 : 2);
  known.sort((a, b) => rank(a) - rank(b)); // the similarity index, then the other 0-1 lines, first in the legend
  const series = known.map((f) => ({ name: f.label, points: byName.get(f.name) ?? [], right: f.right }));
  const units = (right: boolean): string => [...new Set(known.filter((f) => Boolean(f.right) === right).map((f) => f.unit))].join(" · ");
  const right = units(true);
  return { series, axes: { x: "epoch", left: units(false), right, rightRange: right ? [0, 1] : undefined } };
}

/** A button per epoch's sample (GET /training-jobs/{id}/samples): plays that epoch's composition. */
function sampleButton(sample: TrainingSample): HTMLElement {
  return h(
    "button",
    {
      type: "button",
      class: "small",
      onclick: async () => {
        try {
          stopAll();
          const song = parseMidi(await apiBytes(sample.midi));
          await playParts(song.parts, song.tempo);
        } catch (error) {
          say(errorMessage(error), "error");
        }
      },
    },
    `▶ epoch ${sample.epoch}`,
  );
}

export function jobPage(main: HTMLElement, params: Record<string, string>): () => void {
  const path = `/training-jobs/${encodeURIComponent(params.id)}`;
  let timer = 0;
  let stopped = false;
  let sampled = 0;
  const heading = h("h1", {}, "Training job");
  const summary = h("div", { class: "panel job-summary", "aria-live": "polite" });
  const stop = h("button", { type: "button", class: "danger" }, "Stop training");
  const charts = h("div", { class: "charts" });
  const samples = h("div", { class: "samples" });
  stop.addEventListener("click", async () => {
    try {
      await api("POST", `${path}/stop`);
      say("Stopping…");
      void refresh();
    } catch (error) {
      say(errorMessage(error), "error");
    }
  });
  main.append(heading, summary, h("div", { class: "buttons" }, stop), charts, samples);

  async function refresh(): Promise<void> {
    if (stopped) return;
    clearTimeout(timer);
    try {
      const job = await api<TrainingJob>("GET", path);
      heading.textContent = `Training ${job.modelName}`;
      const percent = job.epochs ? Math.round((100 * job.epoch) / job.epochs) : 0;
      replace(
        summary,
        h("p", {}, h("strong", { class: "job-status", "data-status": job.status }, job.status), ` · ${job.modelType} · epoch ${job.epoch} of ${job.epochs} · tags ${job.dataset.tags.join(", ")}`),
        h("progress", { max: 100, value: percent, "aria-label": "Epochs done" }),
        job.estimate
          ? h("p", { class: "help" }, `Estimated training time: about ${Math.max(1, Math.round(job.estimate.seconds / 60))} min (${job.estimate.trainingPieces} pieces)`)
          : null,
        job.failureReason ? h("p", { class: "error", role: "alert" }, job.failureReason) : null,
        job.modelId && job.status === "COMPLETED" ? h("p", {}, h("a", { href: `/studio/generate?model=${encodeURIComponent(job.modelId)}` }, "Compose with the new model →")) : null,
      );
      stop.hidden = !RUNNING.has(job.status) || job.status === "STOPPING";
      const figures = metricChart(job.history);
      replace(
        charts,
        h("figure", { class: "chart-box", "data-chart": "losses" }, h("figcaption", {}, "Losses per epoch"), lineChart("Losses per epoch", lossSeries(job.history), { x: "epoch", left: "loss" })),
        h("figure", { class: "chart-box", "data-chart": "metrics" }, h("figcaption", {}, "Music figures per epoch"), lineChart("Music figures per epoch", figures.series, figures.axes)),
      );
      if (job.history.length !== sampled) {
        sampled = job.history.length;
        void api<{ items: TrainingSample[] }>("GET", `${path}/samples`)
          .then((list) => replace(samples, list.items.length ? h("p", { class: "buttons" }, "Each epoch's sample: ", ...list.items.map(sampleButton)) : null))
          .catch(() => replace(samples)); // a backend without per-epoch samples: nothing to offer
      }
      if (RUNNING.has(job.status)) timer = window.setTimeout(() => void refresh(), POLL_MS);
    } catch (error) {
      say(errorMessage(error), "error");
    }
  }
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    stopAll();
  };
}
