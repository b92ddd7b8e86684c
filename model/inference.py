"""SageMaker inference handlers (PyTorch serving): ``model_fn``, ``input_fn``, ``predict_fn``,
``output_fn``. The same functions run in a SageMaker endpoint, in the local SageMaker and in-process.

``model_fn`` reads ``model.json`` (``model.config.ModelConfig``) and loads the technique its
``type`` names (``model/techniques.py``); every technique composes through the same handlers.

Request, ``application/json``: ``{"midi": "<base64 melody .mid>", "seed": 7, "parameters": {...}}``
(seed and parameters optional; the parameters are the model type's knobs, validated by the caller
against the type's schema and passed through as given); or the raw melody bytes as ``audio/midi``.
The melody must obey the melody rules (``shared.music.melody_rules``) with the longest limit the API
allows any melody (``FROM_COMPOSITION_LIMITS``: 48 bars, composed window by window); the API holds
each melody to its own; a violation raises the typed ``shared.errors`` error.

Response, ``application/json``: ``{"midi": "<base64 4-track .mid>", "bars": 8, "seed": 7,
"tracks": [{"index": 0, "name": "Melody", "program": 0, "noteCount": 31}, ...], "metrics": {...}}``;
with accept ``audio/midi`` the raw MIDI bytes. Track 0 is the melody exactly as given.

Example::

    model = model_fn("model/pretrained/bach-chorales")
    body = output_fn(predict_fn(input_fn(midi_bytes, "audio/midi"), model), "application/json")
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from model.config import ModelConfig  # noqa: E402
from model.techniques import module  # noqa: E402
from shared.errors import InvalidInput, UnsupportedMediaType  # noqa: E402
from shared.music.melody_rules import FROM_COMPOSITION_LIMITS, melody_from_midi  # noqa: E402

JSON = "application/json"
MIDI_TYPES = ("audio/midi", "audio/x-midi", "audio/mid")
MAX_SEED = 2**31 - 1
THREADS_ENV = "COMPOSER_TORCH_THREADS"


def model_fn(model_dir: str) -> Any:
    """Load the model once per worker. One thread (``COMPOSER_TORCH_THREADS`` to change): a
    composition is one small batch, and on a busy host a second OpenMP thread waiting for its
    core made it 8x slower."""
    threads = int(os.environ.get(THREADS_ENV, "0")) or 1
    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)
    config = ModelConfig.load(model_dir)
    return module(config.type, "compose").load(Path(model_dir), config)


def _media_type(value: str | None) -> str:
    return (value or JSON).split(";", 1)[0].strip().lower()


def input_fn(request_body: bytes | str, request_content_type: str | None = JSON) -> dict[str, Any]:
    """Parse the request into ``{"melody": Score, "seed": int, "parameters": dict}``."""
    content_type = _media_type(request_content_type)
    seed = None
    parameters: dict[str, Any] = {}
    if content_type in MIDI_TYPES or content_type == "application/octet-stream":
        midi = request_body.encode("latin-1") if isinstance(request_body, str) else bytes(request_body)
    elif content_type == JSON:
        try:
            payload = json.loads(request_body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"The request body is not valid JSON: {exc}.", code="INVALID_JSON") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("midi"), str):
            raise InvalidInput('Send {"midi": "<base64 of a .mid file>", "seed": <optional int>}.', code="INVALID_JSON")
        try:
            midi = base64.b64decode(payload["midi"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput("The midi field is not valid base64.", code="INVALID_BASE64") from exc
        seed = payload.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
            raise InvalidInput(f"seed must be an integer from 0 to {MAX_SEED}.", code="INVALID_SEED")
        parameters = payload.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise InvalidInput("parameters must be a JSON object of the model type's knobs.", code="INVALID_PARAMETERS")
    else:
        raise UnsupportedMediaType(
            f"Content type {content_type!r} is not supported; send application/json or audio/midi."
        )
    melody = melody_from_midi(midi, FROM_COMPOSITION_LIMITS)
    return {
        "melody": melody,
        "seed": secrets.randbelow(MAX_SEED) if seed is None else seed,
        "parameters": parameters,
    }


def predict_fn(input_data: dict[str, Any], model: Any) -> dict[str, Any]:
    """The loaded technique composes: ``{"midi": bytes, "bars", "seed", "tracks", "metrics"}``."""
    result: dict[str, Any] = model.compose(input_data["melody"], input_data["seed"], input_data.get("parameters") or {})
    return result


def output_fn(prediction: dict[str, Any], accept: str | None = JSON) -> bytes | str:
    accept_type = _media_type(accept)
    if accept_type in MIDI_TYPES:
        result: bytes | str = prediction["midi"]
        return result
    if accept_type not in (JSON, "*/*"):
        raise UnsupportedMediaType(f"Accept {accept_type!r} is not supported; ask for application/json or audio/midi.")
    return json.dumps({**prediction, "midi": base64.b64encode(prediction["midi"]).decode()})
