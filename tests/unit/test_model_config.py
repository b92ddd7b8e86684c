"""``model.json`` through the one config object, and the model-type registry."""

from __future__ import annotations

import json

import pytest

from model.config import CONFIG_FILE, ModelConfig
from model.techniques import TECHNIQUES, UnknownModelType, module


def test_a_file_without_a_type_reads_as_a_gan_and_keeps_its_own_fields(tmp_path):
    old = {"format": 1, "width": 8, "lowPitch": 34, "history": [{"epoch": 1}], "reference": {"inKey": [0.9, None]}}
    (tmp_path / CONFIG_FILE).write_text(json.dumps(old))
    config = ModelConfig.load(tmp_path)
    assert config.type == "gan"
    assert config.settings == {"width": 8, "lowPitch": 34, "history": [{"epoch": 1}]}
    assert config.reference == {"inKey": [0.9, None]}
    assert [t["name"] for t in config.tracks][0] == "Melody" and len(config.tracks) == 4


def test_save_then_load_gives_the_same_config(tmp_path):
    config = ModelConfig(type="ar-cnn", tracks=[{"name": "Melody", "program": 0}], settings={"layers": 3})
    config.save(tmp_path)
    written = json.loads((tmp_path / CONFIG_FILE).read_text())
    assert written["type"] == "ar-cnn" and written["layers"] == 3 and written["format"] == 2
    assert ModelConfig.load(tmp_path) == config


def test_the_registry_names_every_technique_and_refuses_an_unknown_one():
    assert TECHNIQUES == {"gan": "gan", "ar-cnn": "arcnn", "transformer": "transformer"}
    assert hasattr(module("gan", "training"), "run") and hasattr(module("gan", "compose"), "load")
    with pytest.raises(UnknownModelType, match="ar-cnn, gan, transformer"):
        module("diffusion", "training")
