// The page a share link opens: GET /shared/{token} (a summary) and /shared/{token}/midi, played here.
import { api, apiBytes, errorMessage, type SharedComposition } from "../api";
import { h, replace } from "../dom";
import { parseMidi } from "../music";
import { saveBytes, songPlayer, type Player } from "./composition";

export function sharedPage(main: HTMLElement, params: Record<string, string>): () => void {
  const path = `/shared/${encodeURIComponent(params.token)}`;
  const body = h("div", { class: "panel" }, h("p", {}, "Loading…"));
  let player: Player | null = null;
  main.append(h("h1", {}, "Shared composition"), body);
  Promise.all([api<SharedComposition>("GET", path), apiBytes(`${path}/midi`)])
    .then(([summary, midi]) => {
      player = songPlayer(parseMidi(midi), "Shared composition piano roll");
      replace(
        body,
        h("h2", {}, summary.name),
        h("p", { class: "shared-about" }, `${summary.modelType} · ${summary.model} · ${summary.bars ?? "?"} bars · ${summary.tracks.length} tracks`),
        player.element,
        h("div", { class: "buttons" }, h("button", { type: "button", onclick: () => saveBytes(midi, "shared.mid", "audio/midi") }, "Download MIDI")),
      );
    })
    .catch((error) => replace(body, h("p", { class: "error", role: "alert" }, errorMessage(error))));
  return () => player?.stop();
}
