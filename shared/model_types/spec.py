"""What every model type declares, and the rules that turn a request's knobs into resolved parameters.

A type declares two pydantic models (inference ``Parameters``, training ``Hyperparameters``) and, for
knobs whose range or meaning depends on another knob, ``Condition`` rows. The same rows drive both
the validation here and the ``if``/``then`` parts of the JSON Schema, so a console drawing the knobs
from the schema and the API checking them cannot disagree.

Resolution order for parameters: given > the model's ``defaultParameters`` > the type's defaults.
A model default for a knob that depends on another (``threshold`` on ``samplingTechnique``) only
carries over while the request keeps the model's value of the knob it depends on: a threshold meant
for top-k is no default for nucleus sampling.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError
from pydantic.fields import ComputedFieldInfo, FieldInfo

from shared.errors import InvalidInput
from shared.wire import WireModel

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class ModelType(StrEnum):
    """The generative techniques; also ``modelType`` on training jobs. Records without one are GANs."""

    GAN = "gan"
    AR_CNN = "ar-cnn"
    TRANSFORMER = "transformer"


DEFAULT_MODEL_TYPE = ModelType.GAN


class MelodyKept(StrEnum):
    """How a composition's track 0 relates to the melody sent, which the worker checks."""

    EXACT = "exact"  # the melody as played (accompaniment is added around it)
    PREFIX = "prefix"  # the melody as played, then a continuation
    CHANGED = "changed"  # the melody itself is rewritten (AR-CNN enhance)


# Training settings every type has, with one range each.
Epochs = Annotated[int, Field(ge=1, le=500, description="Passes over the training data.")]
LearningRate = Annotated[float, Field(gt=0, le=0.1, description="Adam's step size.")]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1, description="Random seed of the run.")]
MaxWindows = Annotated[int, Field(ge=16, le=1_000_000, description="Cap on training windows (none: all of them).")]


class InvalidParameters(InvalidInput):
    """A composition's ``parameters`` break the chosen model type's rules (422)."""

    code = "INVALID_PARAMETERS"


class InvalidHyperparameters(InvalidInput):
    """A training job's ``hyperparameters`` break the chosen model type's rules (422)."""

    code = "INVALID_HYPERPARAMETERS"


@dataclass(frozen=True)
class Knob:
    """A knob's range and default while a condition holds."""

    minimum: float
    maximum: float
    default: float
    integer: bool = False
    description: str | None = None

    def range_text(self) -> str:
        return f"{self.minimum:g}-{self.maximum:g}" + (" (a whole number)" if self.integer else "")


@dataclass(frozen=True)
class Condition:
    """While ``field == value``: the knobs in ``knobs`` take those ranges and defaults, and the knobs
    in ``not_applicable`` must be left out. Field names are the Python (snake_case) names."""

    field: str
    value: str
    knobs: Mapping[str, Knob] = dataclasses.field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()

    @property
    def dependents(self) -> set[str]:
        return set(self.knobs) | set(self.not_applicable)


def _title(name: str, info: FieldInfo | ComputedFieldInfo) -> str:
    return name.replace("_", " ").capitalize()


class KnobModel(WireModel):
    """Base of the types' parameter and hyperparameter models: a readable title per field for forms."""

    model_config = ConfigDict(field_title_generator=_title)


def _always_exact(parameters: Mapping[str, Any]) -> MelodyKept:
    return MelodyKept.EXACT


@dataclass(frozen=True)
class ModelTypeSpec:
    """One model type: its knobs, its training settings and how its output keeps the melody."""

    type: ModelType
    title: str
    description: str
    parameters: builtins.type[KnobModel]
    hyperparameters: builtins.type[KnobModel]
    conditions: tuple[Condition, ...] = ()
    melody_kept: Callable[[Mapping[str, Any]], MelodyKept] = _always_exact

    # --- parameters --------------------------------------------------------------------------

    def resolve_parameters(
        self, given: Mapping[str, Any] | None = None, model_defaults: Mapping[str, Any] | None = None
    ) -> WireModel:
        """Validate ``given`` against this type and fill every applicable knob (given > model > type).

        Raises ``InvalidParameters`` naming the parameter, its range and the model type.

        >>> from shared.model_types import spec_for
        >>> spec_for("transformer").resolve_parameters({"samplingTechnique": "nucleus"}).to_wire()["threshold"]
        0.9
        """
        given_names = self._python_names(given or {})
        base = self._python_names(model_defaults or {})
        for controller in self._controllers():
            if controller in given_names and given_names[controller] != base.get(
                controller, self._field_default(controller)
            ):
                for dependent in self._dependents_of(controller):
                    base.pop(dependent, None)
        return self._check({**base, **given_names}, "parameters")

    def validate_model_defaults(self, defaults: Mapping[str, Any] | None) -> dict[str, Any]:
        """A model's ``defaultParameters``, checked as a request would be; only the keys it sets, camelCase."""
        names = self._python_names(defaults or {})
        checked = self._check(dict(names), "defaultParameters").model_dump(mode="json", by_alias=False)
        aliases = self._aliases()
        return {aliases[name]: checked[name] for name in names}

    def parameter_schema(self, model_defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of the parameters, with this model's defaults and the conditional
        ranges as ``allOf`` of ``if``/``then``; what a console needs to draw the knobs."""
        defaults = self._python_names(self.validate_model_defaults(model_defaults)) if model_defaults else {}
        schema = _json_schema(self.parameters)
        schema["$schema"] = JSON_SCHEMA_DIALECT
        schema["title"] = f"{self.title} parameters"
        schema["description"] = self.parameters.__doc__.strip() if self.parameters.__doc__ else self.description
        aliases = self._aliases()
        properties = schema.setdefault("properties", {})
        chosen = {c: defaults.get(c, self._field_default(c)) for c in self._controllers()}
        for name, value in defaults.items():
            properties[aliases[name]]["default"] = value
        branches = []
        for condition in self.conditions:
            active = chosen[condition.field] == condition.value
            then_properties: dict[str, Any] = {}
            for name, knob in condition.knobs.items():
                default = defaults.get(name, knob.default) if active else knob.default
                default = int(default) if knob.integer else default
                branch = {"minimum": knob.minimum, "maximum": knob.maximum, "default": default}
                if knob.integer:
                    branch["type"] = "integer"
                if knob.description:
                    branch["description"] = knob.description
                then_properties[aliases[name]] = branch
                if active:
                    properties[aliases[name]]["default"] = default
            for name in condition.not_applicable:
                then_properties[aliases[name]] = False
            test: dict[str, Any] = {"properties": {aliases[condition.field]: {"const": condition.value}}}
            if not active:
                test["required"] = [aliases[condition.field]]
            branches.append({"if": test, "then": {"properties": then_properties}})
        if branches:
            schema["allOf"] = branches
        return schema

    # --- hyperparameters ---------------------------------------------------------------------

    def validate_hyperparameters(self, given: Mapping[str, Any] | None) -> WireModel:
        """This type's training settings with its defaults filled; ``InvalidHyperparameters`` names the field."""
        try:
            return self.hyperparameters.model_validate(dict(given or {}))
        except ValidationError as exc:
            raise InvalidHyperparameters(
                self._describe(exc, "hyperparameters", "hyperparameter", self.hyperparameters)
            ) from exc

    def hyperparameter_schema(self) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of the training hyperparameters, for a training form."""
        schema = _json_schema(self.hyperparameters)
        schema["$schema"] = JSON_SCHEMA_DIALECT
        schema["title"] = f"{self.title} hyperparameters"
        return schema

    # --- internals ---------------------------------------------------------------------------

    def _check(self, values: dict[str, Any], where: str) -> WireModel:
        try:
            parameters = self.parameters.model_validate(values)
        except ValidationError as exc:
            raise InvalidParameters(self._describe(exc, where, "parameter", self.parameters)) from exc
        aliases = self._aliases()
        filled: dict[str, Any] = {}
        for condition in self.conditions:
            if getattr(parameters, condition.field) != condition.value:
                continue
            when = f"{aliases[condition.field]} {condition.value}"
            for name in condition.not_applicable:
                if getattr(parameters, name) is not None:
                    raise InvalidParameters(
                        f"{where}.{aliases[name]} does not apply with {when} (model type {self.type}); leave it out."
                    )
            for name, knob in condition.knobs.items():
                value = getattr(parameters, name)
                if value is None:
                    filled[name] = int(knob.default) if knob.integer else knob.default
                    continue
                whole = float(value).is_integer()
                if not knob.minimum <= value <= knob.maximum or (knob.integer and not whole):
                    raise InvalidParameters(
                        f"{where}.{aliases[name]}: {value!r} is out of range with {when} for model type "
                        f"{self.type}; use {knob.range_text()}."
                    )
                if knob.integer:
                    filled[name] = int(value)
        return parameters.model_copy(update=filled) if filled else parameters

    def _describe(self, exc: ValidationError, where: str, noun: str, model: builtins.type[WireModel]) -> str:
        """``parameters.threshold: Input should be ... for model type transformer (allowed: 0.1-128)``."""
        fields = model.model_fields
        properties = _json_schema(model).get("properties", {})
        parts = []
        for error in exc.errors()[:5]:
            error["msg"] = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            loc = [str(p) for p in error.get("loc", ())]
            name = loc[0] if loc else ""
            python_name = name if name in fields else next((n for n, f in fields.items() if f.alias == name), None)
            if python_name is None and name:
                known = ", ".join(f.alias or n for n, f in fields.items()) or "none"
                parts.append(f"{where}.{name} is not a {noun} of model type {self.type} (its {noun}s: {known})")
                continue
            if python_name is None:
                parts.append(f"{where} for model type {self.type}: {error.get('msg', 'invalid')}")
                continue
            alias = fields[python_name].alias or python_name
            allowed = _allowed_text(properties.get(alias, {}))
            parts.append(
                f"{where}.{alias}: {error.get('msg', 'invalid')} for model type {self.type}"
                + (f" (allowed: {allowed})" if allowed else "")
            )
        return "; ".join(parts) or f"The {where} are invalid for model type {self.type}."

    def _aliases(self) -> dict[str, str]:
        return {name: f.alias or name for name, f in self.parameters.model_fields.items()}

    def _python_names(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Request keys in either case -> Python names; unknown keys stay as they are, for pydantic to reject."""
        by_alias = {alias: name for name, alias in self._aliases().items()}
        return {by_alias.get(key, key): value for key, value in values.items()}

    def _controllers(self) -> list[str]:
        return list(dict.fromkeys(c.field for c in self.conditions))

    def _dependents_of(self, controller: str) -> set[str]:
        return set().union(*(c.dependents for c in self.conditions if c.field == controller))

    def _field_default(self, name: str) -> Any:
        return self.parameters.model_fields[name].default


def _allowed_text(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    if "const" in prop:
        return str(prop["const"])
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    if low is None and high is None:
        return prop.get("type", "")
    low_text = "" if low is None else (f"{low:g}" if "minimum" in prop else f">{low:g}")
    high_text = "" if high is None else f"{high:g}"
    return f"{low_text}-{high_text}" if low_text and high_text else (low_text or f"<= {high_text}")


def _json_schema(model: builtins.type[WireModel]) -> dict[str, Any]:
    """A fresh copy of the model's cleaned schema; generating it is the slow part of listing models."""
    return copy.deepcopy(_cached_schema(model))


@cache
def _cached_schema(model: builtins.type[WireModel]) -> dict[str, Any]:
    return _clean(model.model_json_schema(by_alias=True, mode="validation"))


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic writes an optional knob as ``anyOf [X, null]`` with ``default: null``; on the wire it is
    simply X that may be left out, which is what a form needs."""
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if isinstance(options, list):
            kept = [o for o in options if o.get("type") != "null"]
            if len(kept) == 1:
                prop.pop("anyOf")
                prop.update(kept[0])
        if prop.get("default", 0) is None:
            prop.pop("default")
    return schema
