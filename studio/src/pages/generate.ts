// The generate page: a melody, a technique and a model from GET /models, the model's knobs from its
// parameter schema, then POST /compositions; the composition page polls and shows the result.
import { api, errorMessage, listAll, type Composition, type Melody, type Model, type ModelTypeInfo } from "../api";
import { field, h, replace, say } from "../dom";
import { navigate } from "../router";
import { schemaForm, type SchemaForm } from "../schema";

export function generatePage(main: HTMLElement, _params: Record<string, string>, query: URLSearchParams): void {
  const melodySelect = h("select", { name: "melody" });
  const techniqueSelect = h("select", { name: "technique" });
  const modelSelect = h("select", { name: "model" });
  const seed = h("input", { type: "number", min: 0, max: 2147483647, step: 1, name: "seed", placeholder: "random" });
  const knobs = h("fieldset", { class: "knobs" }, h("legend", {}, "Knobs"));
  const about = h("p", { class: "help", id: "technique-about" });
  const submit = h("button", { type: "submit", class: "primary" }, "Compose");
  let models: Model[] = [];
  let types: ModelTypeInfo[] = [];
  let form: SchemaForm | null = null;

  function drawModels(): void {
    const type = techniqueSelect.value;
    const ready = models.filter((m) => m.type === type && m.status === "READY");
    replace(modelSelect, ...ready.map((m) => h("option", { value: m.id }, `${m.name}${m.builtin ? "" : " (yours)"}`)));
    about.textContent = types.find((t) => t.type === type)?.description ?? "";
    submit.disabled = ready.length === 0;
    drawKnobs();
  }

  function drawKnobs(): void {
    const model = models.find((m) => m.id === modelSelect.value);
    const schema = model?.parameterSchema ?? types.find((t) => t.type === techniqueSelect.value)?.parameterSchema;
    if (!schema) {
      form = null;
      replace(knobs, h("legend", {}, "Knobs"), h("p", { class: "help" }, "No model of this technique is ready."));
      return;
    }
    form = schemaForm(schema, model?.defaultParameters ?? {});
    replace(knobs, h("legend", {}, "Knobs"), form.element);
  }

  techniqueSelect.addEventListener("change", drawModels);
  modelSelect.addEventListener("change", drawKnobs);

  const formEl = h(
    "form",
    { class: "panel", "aria-label": "Compose", novalidate: true },
    field("Melody", melodySelect),
    field("Technique", techniqueSelect),
    about,
    field("Model", modelSelect),
    knobs,
    field("Seed", seed, "The same seed, melody, model and knobs give the same music; leave empty for a new one."),
    h("div", { class: "buttons" }, submit),
  );
  formEl.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const body: Record<string, unknown> = { melodyId: melodySelect.value, modelId: modelSelect.value, parameters: form?.values() ?? {} };
      if (seed.value !== "") body.seed = Math.round(Number(seed.value));
      const composition = await api<Composition>("POST", "/compositions", body);
      navigate(`/studio/compositions/${encodeURIComponent(composition.id)}`);
    } catch (error) {
      say(errorMessage(error), "error");
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h("h1", {}, "Generate"), formEl);

  Promise.all([listAll<Melody>("/melodies"), listAll<Model>("/models"), api<{ items: ModelTypeInfo[] }>("GET", "/model-types")])
    .then(([melodies, allModels, typeList]) => {
      models = allModels;
      types = typeList.items;
      replace(melodySelect, ...melodies.map((m) => h("option", { value: m.id }, `${m.name}${m.builtin ? " (sample)" : ""} · ${m.bars} bars`)));
      const wanted = query.get("melody");
      if (wanted) melodySelect.value = wanted;
      replace(techniqueSelect, ...types.map((t) => h("option", { value: t.type }, t.title)));
      const wantedModel = models.find((m) => m.id === query.get("model"));
      if (wantedModel) techniqueSelect.value = wantedModel.type;
      drawModels();
      if (wantedModel) {
        modelSelect.value = wantedModel.id;
        drawKnobs();
      }
    })
    .catch((error) => say(errorMessage(error), "error"));
}
