"""Compositions, worker side: run one PENDING composition through its model's endpoint.

The worker takes the record PENDING -> RUNNING (with a lease), sends the melody to the endpoint
(the inference handlers' JSON: ``{"midi": base64, "seed": n, "parameters": {...}}`` in, ``{"midi", "bars",
"tracks", "metrics"}`` out), checks the answer (track 0 keeps the melody as the model type promises),
stores the MIDI and records COMPLETED; any failure is recorded as FAILED with a reason a user can
read. A duplicate delivery finds the record no longer PENDING and does nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.errors import ComposerError, InvalidMidi, MelodyRuleViolation
from shared.logic import clock, melodies
from shared.logic.compositions import RUNNING_LEASE, fail, lease_until
from shared.logic.records import from_item
from shared.model_types import MelodyKept, spec_for
from shared.music.melody_rules import rewritten_limits, validate_melody
from shared.music.midi_codec import read_midi
from shared.music.score import Score
from shared.schemas import Composition, CompositionTrack
from shared.statuses import CompositionStatus
from shared.store import blobs, sagemaker
from shared.store import compositions as store
from shared.store.errors import EndpointError, EndpointTimeout, StaleWrite

logger = logging.getLogger(__name__)

_TRACKS = TypeAdapter(list[CompositionTrack])
_TRACK_FIELDS = ("index", "name", "program", "noteCount")


class BadModelOutput(Exception):
    """The endpoint answered, but not with a usable composition."""


def run(owner: str, composition_id: str) -> Composition | None:
    """Compose; returns the final record, or None when there was nothing (left) to do."""
    now = clock.now()
    try:
        item = store.move(
            owner,
            composition_id,
            CompositionStatus.RUNNING,
            {"updatedAt": clock.iso(now)},
            lease_expires_at=lease_until(RUNNING_LEASE),
        )
    except StaleWrite:
        logger.info("composition %s is not PENDING (gone, or delivered twice); nothing to do", composition_id)
        return None
    composition = from_item(Composition, item)
    endpoint_name = item.get(store.ENDPOINT_ATTRIBUTE)
    if not endpoint_name:
        return fail(owner, composition_id, "The composition names no model endpoint; start it again.")
    try:
        return _compose(owner, composition, endpoint_name)
    except EndpointTimeout:
        return fail(owner, composition_id, "The model endpoint timed out; try again in a minute.")
    except EndpointError as exc:
        return fail(owner, composition_id, f"The model endpoint failed: {exc}")
    except BadModelOutput as exc:
        return fail(owner, composition_id, f"The model returned an unusable composition: {exc}")
    except ComposerError as exc:
        return fail(owner, composition_id, exc.message)
    except Exception:
        fail(owner, composition_id, "internal error while composing; try again")
        raise


def _compose(owner: str, composition: Composition, endpoint_name: str) -> Composition | None:
    melody_midi = melodies.accepted_midi(owner, composition.melody_id, composition.melody_version or 1)
    request = json.dumps(
        {
            "midi": base64.b64encode(melody_midi).decode(),
            "seed": composition.seed,
            "parameters": composition.parameters,
        }
    ).encode()
    answer = sagemaker.invoke_endpoint(endpoint_name, request)
    kept = spec_for(composition.model_type).melody_kept(composition.parameters)
    added = int(composition.parameters.get("maxNotesAdded") or 0)  # what a rewritten melody may grow by
    data, score, tracks, metrics = parse_answer(answer, read_midi(melody_midi).score, kept, added)
    blobs.put_composition(owner, composition.id, data)
    try:
        item = store.move(
            owner,
            composition.id,
            CompositionStatus.COMPLETED,
            {
                "bars": score.bars,
                "tracks": [t.to_wire() for t in tracks],
                "metrics": metrics,
                "updatedAt": clock.iso(clock.now()),
            },
        )
    except StaleWrite:
        # A reader timed us out in the meantime: its FAILED verdict stands, our file is an orphan.
        blobs.delete_composition(owner, composition.id)
        logger.warning("composition %s finished after its lease expired", composition.id)
        current = store.get(owner, composition.id)
        return from_item(Composition, current) if current else None
    return from_item(Composition, item)


def parse_answer(
    answer: bytes, melody: Score, kept: MelodyKept = MelodyKept.EXACT, notes_added: int = 0
) -> tuple[bytes, Score, list[CompositionTrack], dict[str, float]]:
    """Check the endpoint's JSON: readable MIDI whose track 0 keeps the melody as ``kept`` says (exactly,
    as the start of a continuation, or rewritten: then it must still obey the melody rules, with the
    note cap grown by the ``notes_added`` the request allowed), track list, numeric metrics."""
    try:
        payload = json.loads(answer)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadModelOutput("the answer is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("midi"), str):
        raise BadModelOutput("the answer has no 'midi' field")
    try:
        data = base64.b64decode(payload["midi"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadModelOutput("'midi' is not base64") from exc
    try:
        score = read_midi(data).score
    except InvalidMidi as exc:
        raise BadModelOutput(f"the MIDI is unreadable ({exc.message})") from exc
    if not score.tracks:
        raise BadModelOutput("the MIDI has no tracks")
    sent, got = _pitches(melody.tracks[0].notes), _pitches(score.tracks[0].notes)
    if kept is MelodyKept.EXACT and got != sent:
        raise BadModelOutput("track 0 is not the melody that was sent")
    if kept is MelodyKept.PREFIX and got[: len(sent)] != sent:
        raise BadModelOutput("track 0 does not start with the melody that was sent")
    if kept is MelodyKept.CHANGED:
        rewritten = Score([score.tracks[0]], score.ticks_per_beat, score.tempo_us, score.time_signature)
        try:
            validate_melody(rewritten, rewritten_limits(notes_added))
        except MelodyRuleViolation as exc:
            raise BadModelOutput(f"the rewritten melody breaks the melody rules ({exc.message})") from exc
    listed = payload.get("tracks")
    try:
        if not isinstance(listed, list) or not all(isinstance(t, dict) for t in listed):
            raise ValueError("tracks")
        tracks = _TRACKS.validate_python([{k: t.get(k) for k in _TRACK_FIELDS} for t in listed])
    except (ValidationError, ValueError) as exc:
        raise BadModelOutput("the track list is missing or malformed") from exc
    metrics = payload.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise BadModelOutput("'metrics' is not an object")
    numeric = {
        str(k): float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }
    return data, score, tracks, numeric


def _pitches(notes: list[Any]) -> list[int]:
    return [n.pitch for n in sorted(notes, key=lambda n: (n.start, n.pitch))]
