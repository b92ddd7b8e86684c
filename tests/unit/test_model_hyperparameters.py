"""Hyperparameters as SageMaker hands them over: strings, JSON-encoded strings, extra keys."""

from __future__ import annotations

import json

import pytest

from model.gan import training
from model.sagemaker import TrainingInputError, pop_model_type, raw_hyperparameters


def read_hyperparameters(env: dict) -> tuple:
    return training.read_hyperparameters(raw_hyperparameters(env))


def read(values: dict) -> tuple:
    return read_hyperparameters({"SM_HPS": json.dumps(values)})


def test_string_values_are_coerced_and_sagemaker_keys_ignored():
    hp, tags = read(
        {
            "epochs": "3",
            "learning_rate": "0.002",
            "updateRatio": "2",
            "max_windows": "None",
            "sagemaker_program": "train.py",
            "dataset_tags": '["composer:bach", "mode:minor"]',
        }
    )
    # an empty value is no value: the type's default cap applies
    assert (hp.epochs, hp.learning_rate, hp.update_ratio, hp.max_windows) == (3, 0.002, 2, 8192)
    assert tags == ["composer:bach", "mode:minor"]


def test_json_encoded_strings_are_unwrapped():
    hp, tags = read({"epochs": '"4"', "dataset_tags": '"composer:bach,meter:3/4"'})
    assert hp.epochs == 4 and tags == ["composer:bach", "meter:3/4"]


def test_defaults_without_any_hyperparameters():
    hp, tags = read_hyperparameters({"SM_HPS": "{}"})
    assert (hp.epochs, hp.batch_size, hp.update_ratio, hp.gradient_penalty) == (8, 32, 1, 10.0)
    assert (hp.width, hp.start_from, hp.max_windows) == (8, "bach-chorales", 8192)
    assert tags == ["collection:bach-chorales"]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"epochs": "0"}, "epochs"),
        ({"batch_size": "many"}, "batch_size"),
        ({"unknown": "1"}, "unknown"),
    ],
)
def test_invalid_values_name_the_field(values, message):
    with pytest.raises(TrainingInputError, match=message):
        read(values)


def test_sm_hps_must_be_a_json_object():
    with pytest.raises(TrainingInputError, match="JSON"):
        read_hyperparameters({"SM_HPS": "epochs=3"})
    with pytest.raises(TrainingInputError, match="object"):
        read_hyperparameters({"SM_HPS": "[1, 2]"})


def test_the_model_type_is_taken_out_of_the_hyperparameters_and_defaults_to_gan():
    values = raw_hyperparameters({"SM_HPS": json.dumps({"modelType": '"ar-cnn"', "epochs": "2"})})
    assert pop_model_type(values) == "ar-cnn" and values == {"epochs": "2"}
    assert pop_model_type({"epochs": 2}) == "gan"
