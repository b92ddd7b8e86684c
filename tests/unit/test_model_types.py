"""Model types: parameter validation, defaults (given > model > type), conditional rules, and the
generated JSON Schema agreeing with the validation on the same payloads."""

from __future__ import annotations

import jsonschema
import pytest

from shared.model_types import (
    JSON_SCHEMA_DIALECT,
    REGISTRY,
    InvalidHyperparameters,
    InvalidParameters,
    MelodyKept,
    ModelType,
    spec_for,
)

ARCNN = spec_for("ar-cnn")
TRANSFORMER = spec_for("transformer")
GAN = spec_for("gan")


def test_one_enum_and_a_spec_per_type_and_records_without_a_type_are_gans():
    assert [t.value for t in ModelType] == ["gan", "ar-cnn", "transformer"]
    assert set(REGISTRY) == set(ModelType)
    assert spec_for(None) is GAN and spec_for("") is GAN
    with pytest.raises(ValueError):
        spec_for("diffusion")


def test_the_gan_takes_no_parameters():
    assert GAN.resolve_parameters(None).to_wire() == {}
    with pytest.raises(InvalidParameters, match=r"parameters\.temperature is not a parameter of model type gan"):
        GAN.resolve_parameters({"temperature": 1})


def test_arcnn_defaults_are_deepcomposers_and_harmonize_has_its_own():
    assert ARCNN.resolve_parameters({}).to_wire() == {
        "mode": "enhance",
        "maxPercentageOfInitialNotesRemoved": 100,
        "maxNotesAdded": 500,
        "samplingIterations": 100,
        "temperature": 1.0,
    }
    assert ARCNN.resolve_parameters({"mode": "harmonize"}).to_wire() == {
        "mode": "harmonize",
        "samplingIterations": 100,
        "temperature": 1.0,
    }


@pytest.mark.parametrize(
    ("given", "names"),
    [
        ({"maxPercentageOfInitialNotesRemoved": 101}, ["maxPercentageOfInitialNotesRemoved", "0-100", "ar-cnn"]),
        ({"maxNotesAdded": 49}, ["maxNotesAdded", "50-1000", "ar-cnn"]),
        ({"maxNotesAdded": 1001}, ["maxNotesAdded", "50-1000"]),
        ({"samplingIterations": 101}, ["samplingIterations", "0-100", "mode enhance"]),
        ({"temperature": 0.4}, ["temperature", "0.5-6", "mode enhance"]),
        ({"temperature": 6.5}, ["temperature"]),
        ({"mode": "harmonize", "temperature": 2.5}, ["temperature", "0.1-2", "mode harmonize"]),
        ({"mode": "harmonize", "samplingIterations": 0}, ["samplingIterations", "1-500"]),
        ({"mode": "harmonize", "maxNotesAdded": 60}, ["maxNotesAdded", "does not apply", "mode harmonize"]),
        ({"mode": "remix"}, ["mode", "enhance | harmonize"]),
        ({"temperature": "hot"}, ["temperature", "valid number"]),
        ({"maxNotesAdded": True}, ["maxNotesAdded"]),
        ({"creativity": 1}, ["creativity", "not a parameter of model type ar-cnn"]),
    ],
)
def test_arcnn_rejections_name_the_parameter_its_range_and_the_type(given, names):
    with pytest.raises(InvalidParameters) as caught:
        ARCNN.resolve_parameters(given)
    assert caught.value.status == 422
    for name in names:
        assert name in caught.value.message


def test_arcnn_edges_of_the_ranges_are_accepted():
    low = ARCNN.resolve_parameters(
        {"maxPercentageOfInitialNotesRemoved": 0, "maxNotesAdded": 50, "samplingIterations": 0, "temperature": 0.5}
    )
    assert low.to_wire()["samplingIterations"] == 0
    high = ARCNN.resolve_parameters({"mode": "harmonize", "samplingIterations": 500, "temperature": 0.1})
    assert high.to_wire() == {"mode": "harmonize", "samplingIterations": 500, "temperature": 0.1}


def test_snake_case_keys_are_accepted_as_well():
    resolved = ARCNN.resolve_parameters({"max_notes_added": 80})
    assert resolved.to_wire()["maxNotesAdded"] == 80


def test_transformer_threshold_range_and_default_follow_the_sampling_technique():
    assert TRANSFORMER.resolve_parameters({}).to_wire() == {
        "samplingTechnique": "topK",
        "threshold": 20,
        "temperature": 1.0,
        "extensionSeconds": 20.0,
    }
    assert TRANSFORMER.resolve_parameters({"samplingTechnique": "nucleus"}).to_wire()["threshold"] == 0.9
    assert "threshold" not in TRANSFORMER.resolve_parameters({"samplingTechnique": "random"}).to_wire()
    assert TRANSFORMER.resolve_parameters({"threshold": 128}).to_wire()["threshold"] == 128
    assert (
        TRANSFORMER.resolve_parameters({"samplingTechnique": "nucleus", "threshold": 0.1}).to_wire()["threshold"] == 0.1
    )
    assert TRANSFORMER.resolve_parameters({"inputSeconds": 4.5}).to_wire()["inputSeconds"] == 4.5


@pytest.mark.parametrize(
    ("given", "names"),
    [
        ({"threshold": 0}, ["threshold"]),
        ({"threshold": 129}, ["threshold"]),
        ({"threshold": 2.5}, ["threshold", "1-128", "whole number", "samplingTechnique topK"]),
        ({"threshold": 0.5}, ["threshold", "1-128"]),
        ({"samplingTechnique": "nucleus", "threshold": 20}, ["threshold", "0.1-1", "samplingTechnique nucleus"]),
        ({"samplingTechnique": "random", "threshold": 5}, ["threshold", "does not apply", "random"]),
        ({"samplingTechnique": "beam"}, ["samplingTechnique", "topK | nucleus | random"]),
        ({"temperature": 0.05}, ["temperature", "0.1-5", "transformer"]),
        ({"temperature": 5.5}, ["temperature"]),
        ({"extensionSeconds": 0.5}, ["extensionSeconds", "1-30"]),
        ({"extensionSeconds": 31}, ["extensionSeconds", "1-30"]),
        ({"inputSeconds": 0}, ["inputSeconds"]),
    ],
)
def test_transformer_rejections_name_the_parameter(given, names):
    with pytest.raises(InvalidParameters) as caught:
        TRANSFORMER.resolve_parameters(given)
    for name in names:
        assert name in caught.value.message


@pytest.mark.parametrize(
    ("given", "own", "other"),
    [
        ({"threshold": 0}, "use 1-128", "0.1"),
        ({"threshold": 129}, "use 1-128", "0.1"),
        ({"threshold": 200}, "use 1-128", "0.1"),
        ({"samplingTechnique": "nucleus", "threshold": 0}, "use 0.1-1.", "128"),
        ({"samplingTechnique": "nucleus", "threshold": 200}, "use 0.1-1.", "128"),
    ],
)
def test_a_threshold_out_of_range_gets_its_own_techniques_range_only(given, own, other):
    with pytest.raises(InvalidParameters) as caught:
        TRANSFORMER.resolve_parameters(given)
    assert own in caught.value.message and other not in caught.value.message, caught.value.message


def test_resolution_order_is_given_then_model_then_type():
    harmonizer = {"mode": "harmonize", "temperature": 0.7}
    assert ARCNN.resolve_parameters({}, harmonizer).to_wire() == {
        "mode": "harmonize",
        "samplingIterations": 100,
        "temperature": 0.7,
    }
    assert ARCNN.resolve_parameters({"temperature": 0.3}, harmonizer).to_wire()["temperature"] == 0.3
    # Switching mode drops the model's mode-dependent defaults: 0.7 was a harmonize temperature.
    assert ARCNN.resolve_parameters({"mode": "enhance"}, harmonizer).to_wire() == ARCNN.resolve_parameters({}).to_wire()
    # A knob independent of the technique carries over; a threshold meant for top-k does not.
    model = {"threshold": 40, "temperature": 1.3}
    nucleus = TRANSFORMER.resolve_parameters({"samplingTechnique": "nucleus"}, model).to_wire()
    assert nucleus["threshold"] == 0.9 and nucleus["temperature"] == 1.3
    assert TRANSFORMER.resolve_parameters({"samplingTechnique": "topK"}, model).to_wire()["threshold"] == 40


def test_model_defaults_are_checked_like_a_request():
    assert ARCNN.validate_model_defaults({"mode": "harmonize"}) == {"mode": "harmonize"}
    assert ARCNN.validate_model_defaults({"max_notes_added": 80}) == {"maxNotesAdded": 80}
    with pytest.raises(InvalidParameters, match=r"defaultParameters\.maxNotesAdded does not apply"):
        ARCNN.validate_model_defaults({"mode": "harmonize", "maxNotesAdded": 80})


def test_melody_kept_follows_the_technique():
    assert GAN.melody_kept({}) is MelodyKept.EXACT
    assert ARCNN.melody_kept(ARCNN.resolve_parameters({"mode": "harmonize"}).to_wire()) is MelodyKept.EXACT
    assert ARCNN.melody_kept(ARCNN.resolve_parameters({}).to_wire()) is MelodyKept.CHANGED
    assert TRANSFORMER.melody_kept(TRANSFORMER.resolve_parameters({}).to_wire()) is MelodyKept.PREFIX


# --- the JSON Schema ---------------------------------------------------------------------------


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=lambda s: s.type.value)
def test_every_property_has_type_default_or_is_optional_and_a_description(spec):
    schema = spec.parameter_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("type") in {"string", "number", "integer"}, name
        assert prop.get("description"), name
        if prop["type"] != "string":
            assert "minimum" in prop or "exclusiveMinimum" in prop, name
            assert "maximum" in prop, name
    hyper = spec.hyperparameter_schema()
    jsonschema.Draft202012Validator.check_schema(hyper)
    assert {"epochs", "learningRate", "batchSize", "seed"} <= set(hyper["properties"])
    for name, prop in hyper["properties"].items():
        assert prop.get("description") and (prop.get("type") in {"number", "integer"} or prop.get("enum")), name


def test_schema_defaults_and_conditional_parts():
    arcnn = ARCNN.parameter_schema()
    props = arcnn["properties"]
    assert props["mode"]["enum"] == ["enhance", "harmonize"] and props["mode"]["default"] == "enhance"
    assert (props["maxNotesAdded"]["minimum"], props["maxNotesAdded"]["maximum"]) == (50, 1000)
    assert props["maxNotesAdded"]["default"] == 500
    branches = {b["if"]["properties"]["mode"]["const"]: b["then"]["properties"] for b in arcnn["allOf"]}
    assert branches["enhance"]["samplingIterations"] == {
        "minimum": 0,
        "maximum": 100,
        "default": 100,
        "type": "integer",
        "description": "Network passes, each adding or removing one note.",
    }
    assert branches["harmonize"]["maxNotesAdded"] is False
    assert branches["harmonize"]["temperature"]["maximum"] == 2
    transformer = TRANSFORMER.parameter_schema()
    by_technique = {b["if"]["properties"]["samplingTechnique"]["const"]: b["then"] for b in transformer["allOf"]}
    assert by_technique["topK"]["properties"]["threshold"]["maximum"] == 128
    assert by_technique["nucleus"]["properties"]["threshold"]["maximum"] == 1.0
    assert by_technique["random"]["properties"]["threshold"] is False


def test_a_models_defaults_show_in_its_schema():
    schema = ARCNN.parameter_schema({"mode": "harmonize", "temperature": 0.7})
    assert schema["properties"]["mode"]["default"] == "harmonize"
    assert schema["properties"]["temperature"]["default"] == 0.7
    branches = {b["if"]["properties"]["mode"]["const"]: b for b in schema["allOf"]}
    assert branches["harmonize"]["then"]["properties"]["temperature"]["default"] == 0.7
    assert branches["enhance"]["then"]["properties"]["temperature"]["default"] == 1.0
    # With harmonize the default, a payload without `mode` falls under the harmonize branch.
    assert "required" not in branches["harmonize"]["if"] and branches["enhance"]["if"]["required"] == ["mode"]


PAYLOADS = {
    "ar-cnn": [
        {},
        {"mode": "enhance", "maxNotesAdded": 50, "temperature": 6},
        {"mode": "harmonize", "samplingIterations": 500, "temperature": 0.1},
        {"mode": "harmonize", "samplingIterations": 250},
        {"samplingIterations": 250},
        {"temperature": 0.3},
        {"mode": "harmonize", "temperature": 3},
        {"mode": "harmonize", "maxNotesAdded": 100},
        {"mode": "harmonize", "maxPercentageOfInitialNotesRemoved": 10},
        {"maxPercentageOfInitialNotesRemoved": 50.5, "maxNotesAdded": 1000},
        {"maxNotesAdded": 10},
        {"mode": "other"},
        {"unknown": 1},
        {"temperature": "1"},
    ],
    "transformer": [
        {},
        {"threshold": 1},
        {"threshold": 128, "temperature": 5},
        {"threshold": 3.5},
        {"threshold": 0.5},
        {"samplingTechnique": "nucleus", "threshold": 0.5},
        {"samplingTechnique": "nucleus", "threshold": 5},
        {"samplingTechnique": "random"},
        {"samplingTechnique": "random", "threshold": 5},
        {"extensionSeconds": 30, "inputSeconds": 2},
        {"extensionSeconds": 31},
        {"inputSeconds": 0},
        {"temperature": 0},
    ],
    "gan": [{}, {"seed": 1}],
}


@pytest.mark.parametrize(
    ("type_name", "payload", "model_defaults"),
    [(t, p, None) for t, ps in PAYLOADS.items() for p in ps]
    + [("ar-cnn", p, {"mode": "harmonize"}) for p in PAYLOADS["ar-cnn"]]
    + [("transformer", p, {"samplingTechnique": "nucleus"}) for p in PAYLOADS["transformer"]],
)
def test_the_schema_and_the_validation_agree(type_name, payload, model_defaults):
    spec = spec_for(type_name)
    validator = jsonschema.Draft202012Validator(spec.parameter_schema(model_defaults))
    schema_ok = validator.is_valid(payload)
    try:
        spec.resolve_parameters(payload, model_defaults)
        api_ok = True
    except InvalidParameters:
        api_ok = False
    assert schema_ok == api_ok, (payload, list(validator.iter_errors(payload)))


def test_resolved_parameters_validate_against_the_schema():
    for spec in REGISTRY.values():
        validator = jsonschema.Draft202012Validator(spec.parameter_schema())
        for payload in PAYLOADS[spec.type.value]:
            try:
                resolved = spec.resolve_parameters(payload).to_wire()
            except InvalidParameters:
                continue
            assert validator.is_valid(resolved), resolved


# --- hyperparameters ---------------------------------------------------------------------------


def test_hyperparameters_per_type_with_defaults_and_named_rejections():
    assert GAN.validate_hyperparameters({}).to_wire()["updateRatio"] == 1
    arcnn = ARCNN.validate_hyperparameters({"layers": 6}).to_wire()
    assert arcnn["layers"] == 6 and {"epochs", "learningRate", "batchSize", "width", "seed"} <= set(arcnn)
    transformer = TRANSFORMER.validate_hyperparameters({"dModel": 64, "heads": 2}).to_wire()
    assert transformer["dModel"] == 64 and transformer["layers"] == 4
    with pytest.raises(InvalidHyperparameters, match=r"hyperparameters\.layers.*transformer.*1-12"):
        TRANSFORMER.validate_hyperparameters({"layers": 13})
    with pytest.raises(InvalidHyperparameters, match=r"dModel \(100\) must be a multiple of heads \(8\)"):
        TRANSFORMER.validate_hyperparameters({"dModel": 100, "heads": 8})
    with pytest.raises(InvalidHyperparameters, match=r"hyperparameters\.updateRatio is not a hyperparameter of model"):
        ARCNN.validate_hyperparameters({"updateRatio": 5})
    with pytest.raises(InvalidHyperparameters, match=r"hyperparameters\.width.*ar-cnn.*8-256"):
        ARCNN.validate_hyperparameters({"width": 4})


def test_sagemaker_strings_are_accepted_for_hyperparameters():
    """Training reads them back from SM_HPS, where every value is a string."""
    assert ARCNN.validate_hyperparameters({"epochs": "3", "learningRate": "0.01"}).to_wire()["epochs"] == 3


def test_the_gan_hyperparameters_stay_importable_from_shared_schemas():
    from shared.model_types.gan import Hyperparameters
    from shared.schemas import Hyperparameters as Alias

    assert Alias is Hyperparameters


def test_a_models_defaults_do_not_leak_into_the_next_schema():
    """The base schema is generated once and copied: one model's defaults must not become another's."""
    harmonizing = ARCNN.parameter_schema({"mode": "harmonize"})
    harmonizing["properties"]["temperature"]["maximum"] = 99
    plain = ARCNN.parameter_schema()
    assert plain["properties"]["mode"]["default"] == "enhance"
    assert plain["properties"]["temperature"]["maximum"] == 6
