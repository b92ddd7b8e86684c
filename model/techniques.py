"""The generative techniques: model type (as the API and ``model.json`` name it) -> the package
under ``model/`` that trains and composes it.

Each package has ``training.run(hyperparameters: dict, env: Environment, log) -> dict`` and
``compose.load(model_dir, config)`` returning an object with
``compose(melody: Score, seed: int, parameters: dict) -> dict``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

TECHNIQUES = {"gan": "gan", "ar-cnn": "arcnn", "transformer": "transformer"}


class UnknownModelType(ValueError):
    """A model type no package implements; the message lists the known ones."""


def module(model_type: str, part: str) -> ModuleType:
    """``model.<package>.<part>`` for a model type (``part`` is ``training`` or ``compose``)."""
    package = TECHNIQUES.get(model_type)
    if package is None:
        known = ", ".join(sorted(TECHNIQUES))
        raise UnknownModelType(f"Unknown model type {model_type!r}; the model types are {known}.")
    return import_module(f"model.{package}.{part}")
