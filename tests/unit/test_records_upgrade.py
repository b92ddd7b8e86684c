"""Records outlive the code that wrote them (a deployed table, or make dev's data folder, after a
``git pull``): an item from an earlier version, with attributes since dropped and without fields
added since, still reads; a record whose required fields do not fit is refused (a logged 500,
tests/faults/test_faults_api.py), never silently altered."""

from __future__ import annotations

import pytest

from shared.errors import StoredRecordInvalid
from shared.logic.records import from_item
from shared.schemas import Composition, Model

OLD_COMPOSITION = {
    "owner": "alice",
    "id": "cmp-1",
    "melodyId": "mel-1",
    "modelId": "bach-chorales",
    "status": "COMPLETED",
    "bars": 8,
    "tracks": [{"index": 0, "name": "Melody", "program": 0, "noteCount": 12}],
    "renderedBy": "v0",  # an attribute this version no longer has
    "createdAt": "2026-01-01T00:00:00.000Z",
    "updatedAt": "2026-01-01T00:00:01.000Z",
}


def test_an_older_record_with_attributes_since_dropped_reads() -> None:
    composition = from_item(Composition, OLD_COMPOSITION)
    assert composition.status == "COMPLETED" and composition.bars == 8 and composition.metrics == {}
    assert [t.note_count for t in composition.tracks] == [12]
    assert "renderedBy" not in composition.model_dump(by_alias=True)


def test_an_older_model_record_without_newer_optional_fields_reads() -> None:
    model = from_item(
        Model, {"owner": "alice", "id": "mdl-1", "name": "m", "status": "READY", "createdAt": "2026-01-01T00:00:00Z"}
    )
    assert model.status == "READY" and model.endpoint_name is None and model.metrics == {}


def test_a_record_whose_required_fields_do_not_fit_is_refused() -> None:
    with pytest.raises(StoredRecordInvalid, match="cmp-1"):
        from_item(Composition, {**OLD_COMPOSITION, "status": "HALF-DONE"})
    with pytest.raises(StoredRecordInvalid):
        from_item(Composition, {k: v for k, v in OLD_COMPOSITION.items() if k != "createdAt"})


def test_a_data_folder_from_a_newer_format_is_refused_with_a_reason(tmp_path) -> None:
    from local.persistence.datadir import DataDir

    (tmp_path / "FORMAT").write_text("99")
    with pytest.raises(RuntimeError, match="newer local runtime"):
        DataDir(tmp_path)
