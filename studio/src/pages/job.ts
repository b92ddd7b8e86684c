// A training job, live: status and epoch, the per-epoch losses and music figures drawn as SVG charts
// from GET /training-jobs/{id}'s history (polled while it runs), each epoch's sample, and stop.
import { api, errorMessage, type EpochEntry, type TrainingJob } from "../api";
import { lineChart, type Series } from "../chart";
import { h, replace, say } from "../dom";

const POLL_MS = 1500;
const RUNNING = new Set(["QUEUED", "STARTING", "TRAINING", "STOPPING"]);
const NOT_LOSSES = new Set(["epoch", "seconds", "steps", "metrics", "losses"]);

/** The loss series of a history: the `losses` map where the job has one, else its numeric *Loss fields. */
export function lossSeries(history: EpochEntry[]): Series[] {
  const byName = new Map<string, [number, number][]>();
  for (const entry of history) {
    const losses: Record<string, unknown> = entry.losses ?? Object.fromEntries(Object.entries(entry).filter(([k]) => /loss/i.test(k) && !NOT_LOSSES.has(k)));
    for (const [name, value] of Object.entries(losses)) {
      if (typeof value !== "number") continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)?.push([entry.epoch, value]);
    }
  }
  return [...byName.entries()].map(([name, points]) => ({ name, points }));
}

export function metricSeries(history: EpochEntry[]): Series[] {
  const byName = new Map<string, [number, number][]>();
  for (const entry of history) {
    for (const [name, value] of Object.entries(entry.metrics ?? {})) {
      if (typeof value !== "number") continue;
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)?.push([entry.epoch, value]);
    }
  }
  return [...byName.entries()].map(([name, points]) => ({ name, points }));
}

function sampleLink(entry: EpochEntry): HTMLElement | null {
  const id = (entry.sampleCompositionId ?? entry.sampleId ?? entry.compositionId) as string | undefined;
  return typeof id === "string" ? h("a", { href: `/studio/compositions/${encodeURIComponent(id)}` }, `epoch ${entry.epoch}`) : null;
}

export function jobPage(main: HTMLElement, params: Record<string, string>): () => void {
  const path = `/training-jobs/${encodeURIComponent(params.id)}`;
  let timer = 0;
  let stopped = false;
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
        job.estimatedSeconds ? h("p", { class: "help" }, `Estimated time: about ${Math.round(job.estimatedSeconds / 60)} min`) : null,
        job.failureReason ? h("p", { class: "error", role: "alert" }, job.failureReason) : null,
        job.modelId && job.status === "COMPLETED" ? h("p", {}, h("a", { href: `/studio/generate?model=${encodeURIComponent(job.modelId)}` }, "Compose with the new model →")) : null,
      );
      stop.hidden = !RUNNING.has(job.status) || job.status === "STOPPING";
      replace(
        charts,
        h("figure", { class: "chart-box", "data-chart": "losses" }, h("figcaption", {}, "Losses per epoch"), lineChart("Losses per epoch", lossSeries(job.history))),
        h("figure", { class: "chart-box", "data-chart": "metrics" }, h("figcaption", {}, "Music figures per epoch"), lineChart("Music figures per epoch", metricSeries(job.history))),
      );
      const links = job.history.map(sampleLink).filter((x): x is HTMLElement => x !== null);
      replace(samples, links.length ? h("p", {}, "Each epoch's sample: ", ...links.flatMap((l) => [l, " "])) : null);
      if (RUNNING.has(job.status)) timer = window.setTimeout(() => void refresh(), POLL_MS);
    } catch (error) {
      say(errorMessage(error), "error");
    }
  }
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
