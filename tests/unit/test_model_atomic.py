"""Cached data sets, checkpoints and model files are written so that concurrent writers never collide.

CI once failed because two training jobs built the same cached data set at once and one renamed the
other's fixed-name temporary file away (FileNotFoundError on the rename)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from model.atomic import write_atomically, write_json
from model.data import Dataset
from shared.music.pianoroll import PITCHES


def _dataset(seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    rolls = [rng.random((32, PITCHES, 4)) > 0.9 for _ in range(3)]
    return Dataset(paths=["a", "b", "c"], rolls=rolls, held_out=np.array([False, False, True]), tags=["bach"])


def test_concurrent_saves_of_the_same_dataset_all_succeed_and_leave_one_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "datasets" / "same.npz"
    target.parent.mkdir()
    dataset = _dataset(0)
    errors: list[BaseException] = []

    def save_many() -> None:
        try:
            for _ in range(20):
                dataset.save(target)
        except BaseException as exc:  # noqa: BLE001 - the test reports any writer's failure
            errors.append(exc)

    writers = [threading.Thread(target=save_many) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()

    assert errors == []
    loaded = Dataset.load(target)
    assert [r.tolist() for r in loaded.rolls] == [r.tolist() for r in dataset.rolls]
    assert loaded.held_out.tolist() == [False, False, True]
    assert sorted(p.name for p in target.parent.iterdir()) == ["same.npz"], "no temporary file is left behind"


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "progress.json"
    write_json(target, {"epoch": 1})

    def crash(tmp: Path) -> None:
        tmp.write_text("{half")
        raise RuntimeError("disk full")

    try:
        write_atomically(target, crash)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the writer's error must reach the caller")
    assert target.read_text() == '{"epoch": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]
