"""The runtime's in-process rules: one shared environment (conflicts refused, per-function variables
kept out), a taken API port refused at once, and the CLI's live training table."""

from __future__ import annotations

import os
import socket

import pytest
from rich.console import Console

from local.cli import epoch_table
from local.cloudformation import LocalFunction
from local.runtime import _check_port_free, _import_handler, _shared_environment


def _fn(name: str, **env: str) -> LocalFunction:
    return LocalFunction(logical_id=name, name=name, handler="json.dumps", environment=env)


def test_shared_environment_merges_and_skips_per_function_variables() -> None:
    merged = _shared_environment(
        [
            _fn("api", MELODIES_TABLE="m", POWERTOOLS_SERVICE_NAME="api", CORS_ALLOW_ORIGIN="*"),
            _fn("worker", MELODIES_TABLE="m", POWERTOOLS_SERVICE_NAME="compose_worker"),
        ]
    )
    assert merged == {"MELODIES_TABLE": "m", "CORS_ALLOW_ORIGIN": "*"}


def test_conflicting_values_are_refused() -> None:
    with pytest.raises(RuntimeError, match="MELODIES_TABLE"):
        _shared_environment([_fn("api", MELODIES_TABLE="a"), _fn("worker", MELODIES_TABLE="b")])


def test_import_applies_per_function_variables_only_while_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    handler = _import_handler(_fn("api", POWERTOOLS_SERVICE_NAME="api"))
    assert handler.__name__ == "dumps"
    assert "POWERTOOLS_SERVICE_NAME" not in os.environ


def test_taken_port_is_refused_with_advice() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f"PORT={port + 1}"):
            _check_port_free(port)


def test_epoch_table_shows_every_epoch_and_the_outcome() -> None:
    job = {
        "modelName": "m",
        "status": "TRAINING",
        "secondaryStatus": "Training",
        "epoch": 2,
        "epochs": 5,
        "history": [
            {
                "epoch": 1,
                "losses": {"generator": -1.5, "critic": 0.25},
                "metrics": {"similarity": 0.5},
                "seconds": 3.0,
            },
            {
                "epoch": 2,
                "losses": {"generator": -1.25, "critic": 0.125},
                "metrics": {"similarity": 0.75, "chordBeats": 0.9},
            },
        ],
    }
    console = Console(record=True, width=160)
    samples = [{"epoch": 2, "createdAt": "2026-12-01T10:00:00Z", "midi": "/training-jobs/tj-1/samples/2"}]
    console.print(epoch_table(job, samples, "http://127.0.0.1:8000"))
    text = console.export_text()
    assert "epoch 2/5" in text and "TRAINING (Training)" in text
    assert "generator loss" in text and "critic loss" in text
    assert "-1.250" in text and "0.750" in text and "chordBeats" in text and "similarity" in text
    assert "http://127.0.0.1:8000/training-jobs/tj-1/samples/2" in text  # where to fetch the latest sample
    arcnn = {**job, "history": [{"epoch": 1, "losses": {"infill": 1.1, "heldOut": 1.2}, "metrics": {}}]}
    console.print(epoch_table(arcnn))
    text = console.export_text()
    assert "infill loss" in text and "held out loss" in text
    failed = {**job, "status": "FAILED", "failureReason": "Out of memory"}
    console.print(epoch_table(failed))
    assert "Out of memory" in console.export_text()
