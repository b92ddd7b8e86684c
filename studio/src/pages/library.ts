// The library: my melodies, compositions and models, each paginated with nextToken, with delete.
import { api, errorMessage, type Composition, type Melody, type Model, type Page, type TrainingJob } from "../api";
import { h, say } from "../dom";

interface Column<T> {
  title: string;
  /** A header screen readers hear but the table does not show (a column of links that name themselves). */
  unseen?: boolean;
  cell: (item: T) => Node | string;
}

function listSection<T extends { id: string; builtin?: boolean }>(
  title: string,
  path: string,
  columns: Column<T>[],
  deletePath?: (item: T) => string,
): HTMLElement {
  const body = h("tbody");
  const more = h("button", { type: "button", hidden: true }, `More ${title.toLowerCase()}`);
  let token: string | null | undefined;
  async function load(reset: boolean): Promise<void> {
    try {
      const query = `${path}?limit=20${token && !reset ? `&nextToken=${encodeURIComponent(token)}` : ""}`;
      const page = await api<Page<T>>("GET", query);
      if (reset) body.replaceChildren();
      for (const item of page.items) body.appendChild(row(item));
      token = page.nextToken;
      more.hidden = !token;
      if (!body.children.length) body.appendChild(h("tr", {}, h("td", { colspan: columns.length + 1 }, "None yet.")));
    } catch (error) {
      say(errorMessage(error), "error");
    }
  }
  function row(item: T): HTMLElement {
    const actions = h("td", {});
    if (deletePath && !item.builtin) {
      actions.appendChild(
        h(
          "button",
          {
            type: "button",
            class: "danger small",
            "aria-label": `Delete ${item.id}`,
            onclick: async () => {
              if (!confirm(`Delete ${item.id}?`)) return;
              try {
                await api("DELETE", deletePath(item));
                say("Deleted.");
                token = undefined;
                await load(true);
              } catch (error) {
                say(errorMessage(error), "error");
              }
            },
          },
          "Delete",
        ),
      );
    }
    return h("tr", {}, ...columns.map((c) => h("td", {}, c.cell(item))), actions);
  }
  more.addEventListener("click", () => void load(false));
  void load(true);
  const headingId = `lib-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return h(
    "section",
    { class: "panel", "aria-labelledby": headingId },
    h("h2", { id: headingId }, title),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c.unseen ? h("span", { class: "sr-only" }, c.title) : c.title)), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))), body)),
    more,
  );
}

const when = (iso: string): string => new Date(iso).toLocaleString();

export function libraryPage(main: HTMLElement): void {
  main.append(
    h("h1", {}, "Library"),
    listSection<Melody>(
      "Melodies",
      "/melodies",
      [
        { title: "Name", cell: (m) => h("a", { href: `/studio/?melody=${encodeURIComponent(m.id)}` }, m.name) },
        { title: "Bars", cell: (m) => String(m.bars) },
        { title: "Notes", cell: (m) => String(m.noteCount) },
        { title: "Compose", unseen: true, cell: (m) => h("a", { href: `/studio/generate?melody=${encodeURIComponent(m.id)}` }, "Compose") },
      ],
      (m) => `/melodies/${encodeURIComponent(m.id)}`,
    ),
    listSection<Composition>(
      "Compositions",
      "/compositions",
      [
        { title: "Composition", cell: (c) => h("a", { href: `/studio/compositions/${encodeURIComponent(c.id)}` }, c.name || c.id) },
        { title: "Model", cell: (c) => c.modelId },
        { title: "Status", cell: (c) => c.status },
        { title: "Made", cell: (c) => when(c.createdAt) },
      ],
      (c) => `/compositions/${encodeURIComponent(c.id)}`,
    ),
    listSection<Model>(
      "Models",
      "/models",
      [
        { title: "Model", cell: (m) => h("a", { href: `/studio/generate?model=${encodeURIComponent(m.id)}` }, m.name) },
        { title: "Type", cell: (m) => m.type },
        { title: "Status", cell: (m) => m.status },
      ],
      (m) => `/models/${encodeURIComponent(m.id)}`,
    ),
    listSection<TrainingJob & { builtin?: boolean }>("Training jobs", "/training-jobs", [
      { title: "Job", cell: (j) => h("a", { href: `/studio/jobs/${encodeURIComponent(j.id)}` }, j.modelName) },
      { title: "Type", cell: (j) => j.modelType },
      { title: "Status", cell: (j) => `${j.status} (${j.epoch}/${j.epochs})` },
    ]),
  );
}
