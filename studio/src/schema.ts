// Form controls drawn from a JSON Schema (a model's parameterSchema, a type's hyperparameterSchema):
// one control per property, with its range and default, and its description as help. Conditional
// parts (`allOf` of `if`/`then`) are applied to the current values: a knob a mode does not take is
// hidden, and a mode's own range and default replace the general ones.
import type { JsonSchema } from "./api";
import { field, h } from "./dom";

type Values = Record<string, unknown>;

function matches(condition: JsonSchema | undefined, values: Values): boolean {
  if (!condition?.properties) return false;
  for (const key of condition.required ?? []) if (!(key in values)) return false;
  for (const [key, rule] of Object.entries(condition.properties)) {
    if (typeof rule === "boolean" || !(key in values)) continue;
    if ("const" in rule && values[key] !== rule.const) return false;
    if (rule.enum && !rule.enum.includes(values[key])) return false;
  }
  return true;
}

/** The properties that apply for these values: each one's general schema merged with its active conditional part. */
export function activeProperties(schema: JsonSchema, values: Values): [string, JsonSchema][] {
  const merged = new Map<string, JsonSchema | false>();
  for (const [key, rule] of Object.entries(schema.properties ?? {})) merged.set(key, rule === false ? false : (rule as JsonSchema));
  const withDefaults = { ...defaults(schema), ...values };
  for (const part of schema.allOf ?? []) {
    if (!matches(part.if, withDefaults)) continue;
    for (const [key, rule] of Object.entries(part.then?.properties ?? {})) {
      const base = merged.get(key);
      if (rule === false) merged.set(key, false);
      else if (base !== false) merged.set(key, { ...(base ?? {}), ...(rule as JsonSchema) });
    }
  }
  return [...merged.entries()].filter((entry): entry is [string, JsonSchema] => entry[1] !== false);
}

export function defaults(schema: JsonSchema): Values {
  const out: Values = {};
  for (const [key, rule] of Object.entries(schema.properties ?? {})) {
    if (typeof rule !== "boolean" && rule.default !== undefined) out[key] = rule.default;
  }
  return out;
}

function rangeText(rule: JsonSchema): string {
  const low = rule.minimum ?? rule.exclusiveMinimum;
  if (low === undefined && rule.maximum === undefined) return "";
  const lowText = low === undefined ? "" : `${rule.exclusiveMinimum !== undefined ? ">" : ""}${low}`;
  return ` (${lowText}–${rule.maximum ?? ""})`;
}

export interface SchemaForm {
  element: HTMLElement;
  /** The values the user set or left at their shown defaults; empty fields are left out. */
  values(): Values;
}

/**
 * A form for `schema`; `initial` holds values to start from (e.g. a model's defaultParameters).
 * The form redraws itself when an enum control (a mode) changes, so conditional knobs follow.
 */
export function schemaForm(schema: JsonSchema, initial: Values = {}, idPrefix = "knob"): SchemaForm {
  const element = h("div", { class: "schema-form" });
  let current: Values = { ...initial };

  function read(): Values {
    const out: Values = {};
    for (const control of element.querySelectorAll<HTMLInputElement | HTMLSelectElement>("[data-key]")) {
      const key = control.dataset.key as string;
      const kind = control.dataset.kind;
      if (control instanceof HTMLInputElement && control.type === "checkbox") out[key] = control.checked;
      else if (control.value === "") continue;
      else if (kind === "integer") out[key] = Math.round(Number(control.value));
      else if (kind === "number") out[key] = Number(control.value);
      else out[key] = control.value;
    }
    return out;
  }

  function draw(): void {
    const fields: HTMLElement[] = [];
    for (const [key, rule] of activeProperties(schema, current)) {
      const value = current[key] ?? rule.default;
      const label = `${rule.title ?? key}${rangeText(rule)}`;
      let control: HTMLInputElement | HTMLSelectElement;
      if (rule.enum) {
        control = h("select", {}, ...rule.enum.map((option) => h("option", { value: String(option), selected: option === value }, String(option))));
        control.addEventListener("change", () => {
          current = { ...current, ...read() };
          draw();
        });
      } else if (rule.type === "boolean") {
        control = h("input", { type: "checkbox", checked: Boolean(value) });
      } else if (rule.type === "integer" || rule.type === "number") {
        const step = rule.type === "integer" ? 1 : "any";
        control = h("input", {
          type: "number",
          step,
          min: rule.minimum ?? rule.exclusiveMinimum,
          max: rule.maximum,
          value: value === undefined ? "" : String(value),
          placeholder: value === undefined ? "default" : null,
        });
      } else {
        control = h("input", { type: "text", value: value === undefined ? "" : String(value) });
      }
      control.dataset.key = key;
      control.dataset.kind = rule.type ?? "string";
      control.name = key;
      control.id = `${idPrefix}-${key}`;
      fields.push(field(label, control, rule.description));
    }
    element.replaceChildren(...(fields.length ? fields : [h("p", { class: "help" }, schema.description ?? "No settings.")]));
  }

  draw();
  return {
    element,
    values: () => read(),
  };
}
