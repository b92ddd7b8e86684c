// Train a model: the type, the data-set tags (GET /datasets, with piece counts), the type's
// hyperparameters with their ranges (GET /model-types), then POST /training-jobs and the job page.
import { api, errorMessage, type DatasetTag, type ModelTypeInfo, type TrainingJob } from "../api";
import { field, h, replace, say } from "../dom";
import { navigate } from "../router";
import { schemaForm, type SchemaForm } from "../schema";

export function trainPage(main: HTMLElement): void {
  const typeSelect = h("select", { name: "modelType" });
  const name = h("input", { type: "text", name: "modelName", value: "my-model", maxlength: 64, required: true });
  const filter = h("input", { type: "search", placeholder: "Filter tags", name: "tagFilter" });
  const tagList = h("div", { class: "tags", role: "group", "aria-label": "Data-set tags" });
  const chosen = h("p", { class: "help", "aria-live": "polite" });
  const hyper = h("fieldset", { class: "knobs" }, h("legend", {}, "Hyperparameters"));
  const submit = h("button", { type: "submit", class: "primary" }, "Start training");
  let types: ModelTypeInfo[] = [];
  let tags: DatasetTag[] = [];
  let form: SchemaForm | null = null;
  const selected = new Set<string>();

  function drawTags(): void {
    const needle = filter.value.trim().toLowerCase();
    replace(
      tagList,
      ...tags
        .filter((t) => !needle || t.tag.toLowerCase().includes(needle))
        .map((t) => {
          const box = h("input", { type: "checkbox", value: t.tag, checked: selected.has(t.tag) });
          box.addEventListener("change", () => {
            if (box.checked) selected.add(t.tag);
            else selected.delete(t.tag);
            drawChosen();
          });
          return h("label", { class: "tag" }, box, ` ${t.tag} `, h("span", { class: "count" }, `(${t.pieces})`));
        }),
    );
  }
  function drawChosen(): void {
    const pieces = tags.filter((t) => selected.has(t.tag)).map((t) => t.pieces);
    chosen.textContent = selected.size
      ? `${selected.size} tag${selected.size > 1 ? "s" : ""} chosen (a piece must carry all of them; the smallest has ${Math.min(...pieces)} pieces).`
      : "Choose at least one tag.";
  }
  function drawHyper(): void {
    const info = types.find((t) => t.type === typeSelect.value);
    if (!info) return;
    form = schemaForm(info.hyperparameterSchema, {}, "hp");
    replace(hyper, h("legend", {}, `${info.title} hyperparameters`), h("p", { class: "help" }, info.description), form.element);
  }
  typeSelect.addEventListener("change", drawHyper);
  filter.addEventListener("input", drawTags);

  const formEl = h(
    "form",
    { class: "panel", "aria-label": "Train a model", novalidate: true },
    field("Model type", typeSelect),
    field("Model name", name),
    h("fieldset", { class: "knobs" }, h("legend", {}, "Training data"), field("Find a tag", filter), tagList, chosen),
    hyper,
    h("div", { class: "buttons" }, submit),
  );
  formEl.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const job = await api<TrainingJob>("POST", "/training-jobs", {
        modelName: name.value.trim(),
        modelType: typeSelect.value,
        dataset: { tags: [...selected] },
        hyperparameters: form?.values() ?? {},
      });
      navigate(`/studio/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      say(errorMessage(error), "error");
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h("h1", {}, "Train a model"), formEl);
  Promise.all([api<{ items: ModelTypeInfo[] }>("GET", "/model-types"), api<{ items: DatasetTag[] }>("GET", "/datasets")])
    .then(([typeList, tagPage]) => {
      types = typeList.items;
      tags = tagPage.items;
      replace(typeSelect, ...types.map((t) => h("option", { value: t.type }, t.title)));
      drawHyper();
      drawTags();
      drawChosen();
    })
    .catch((error) => say(errorMessage(error), "error"));
}
