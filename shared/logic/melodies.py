"""Melodies: uploads (MIDI or notes) checked against the melody rules, the built-in samples, the
owner-scoped reads, renames and note edits. The canonical MIDI (one track, as we re-wrote it) goes to
the bucket before the record, so a record never points at a missing file.

Editing the notes writes a new version's file and moves the record to it; the earlier files stay
(until the melody is deleted), because a composition started from an earlier version reads that
version's notes (``accepted_midi(owner, id, version)``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from shared.errors import Conflict, NotFound
from shared.logic import clock
from shared.logic.ids import new_id
from shared.logic.pagination import Source, paginate, static_source
from shared.logic.records import from_item, to_item
from shared.music.melody_rules import (
    DEFAULT_LIMITS,
    FROM_COMPOSITION_LIMITS,
    MelodyLimits,
    melody_from_midi,
    melody_from_notes,
    validate_melody,
)
from shared.music.midi_codec import write_midi
from shared.music.samples import SAMPLE_OWNER, sample_index
from shared.music.score import Score
from shared.schemas import Melody, MelodyList, MelodyNotesEditIn, MelodyNotesIn, MelodySource, PitchRange
from shared.store import blobs
from shared.store import melodies as store
from shared.store.errors import StaleWrite

# The samples have no upload time; they date from the day DeepComposer was retired.
SAMPLES_CREATED_AT = datetime(2025, 9, 17, tzinfo=UTC)


def describe(
    score: Score,
    *,
    melody_id: str,
    name: str,
    owner: str,
    created_at: datetime,
    builtin: bool = False,
    limits: MelodyLimits = DEFAULT_LIMITS,
    source: MelodySource | None = None,
) -> Melody:
    notes = score.tracks[0].notes
    numerator, denominator = score.time_signature
    return Melody(
        id=melody_id,
        name=name,
        owner=owner,
        builtin=builtin,
        max_bars=limits.max_bars,
        source=source,
        bars=score.bars,
        note_count=len(notes),
        pitch_range=PitchRange(low=min(n.pitch for n in notes), high=max(n.pitch for n in notes)),
        tempo=round(score.tempo_bpm, 3),
        time_signature=f"{numerator}/{denominator}",
        duration_seconds=round(score.ticks_to_beats(score.end_tick) * 60 / score.tempo_bpm, 3),
        created_at=created_at,
    )


DEFAULT_NAME = "Untitled melody"


def create_from_midi(owner: str, name: str | None, data: bytes) -> Melody:
    """Without a given name, the file's own track name (what the recording tool called it) is used."""
    score = melody_from_midi(data)
    return _store(owner, (name or score.tracks[0].name.strip()[:100] or DEFAULT_NAME), score)


def create_from_notes(owner: str, request: MelodyNotesIn) -> Melody:
    numerator, denominator = (int(x) for x in request.time_signature.split("/"))
    score = melody_from_notes(
        [n.model_dump() for n in request.notes], tempo_bpm=request.tempo, time_signature=(numerator, denominator)
    )
    return _store(owner, request.name, score)


def create_from_score(owner: str, name: str, score: Score, source: MelodySource) -> Melody:
    """A melody taken from a composition's track: the melody rules apply, with the longer limit such
    a melody has (``FROM_COMPOSITION_LIMITS``)."""
    validate_melody(score, FROM_COMPOSITION_LIMITS)
    return _store(owner, name, score, FROM_COMPOSITION_LIMITS, source)


def _store(
    owner: str,
    name: str,
    score: Score,
    limits: MelodyLimits = DEFAULT_LIMITS,
    source: MelodySource | None = None,
) -> Melody:
    melody_id = new_id("mel")
    score.tracks[0].name = name
    melody = describe(
        score, melody_id=melody_id, name=name, owner=owner, created_at=clock.now(), limits=limits, source=source
    )
    blobs.put_melody(owner, melody_id, write_midi(score))
    store.create(to_item(melody, owner))
    return melody


def _own(owner: str, melody_id: str, action: str) -> Melody:
    """The caller's own melody, for a change: a built-in sample is a 409 that says why."""
    if _sample(melody_id):
        raise Conflict(f"Melody {melody_id} is a built-in sample; it cannot be {action}.", code="BUILTIN")
    return get(owner, melody_id)


def rename(owner: str, melody_id: str, name: str) -> Melody:
    _own(owner, melody_id, "renamed")
    try:
        item = store.update(owner, melody_id, {"name": name, "updatedAt": clock.iso(clock.now())})
    except StaleWrite as exc:
        raise NotFound(f"Melody {melody_id} does not exist.") from exc
    return from_item(Melody, item)


def replace_notes(owner: str, melody_id: str, request: MelodyNotesEditIn) -> Melody:
    """New notes (tempo and meter kept unless given), under the melody's own limits, as a new version."""
    current = _own(owner, melody_id, "edited")
    numerator, denominator = (int(x) for x in (request.time_signature or current.time_signature).split("/"))
    limits = FROM_COMPOSITION_LIMITS if current.max_bars > DEFAULT_LIMITS.max_bars else DEFAULT_LIMITS
    score = melody_from_notes(
        [n.model_dump() for n in request.notes],
        tempo_bpm=request.tempo or current.tempo,
        time_signature=(numerator, denominator),
        limits=limits,
    )
    score.tracks[0].name = current.name
    version = current.version + 1
    now = clock.now()
    edited = describe(
        score,
        melody_id=melody_id,
        name=current.name,
        owner=owner,
        created_at=current.created_at,
        limits=limits,
        source=current.source,
    )
    edited.version, edited.updated_at = version, now
    blobs.put_melody(owner, melody_id, write_midi(score), version)
    fields = {k: v for k, v in to_item(edited, owner).items() if k not in ("owner", "id", "createdAt")}
    try:
        item = store.update(owner, melody_id, fields, version=current.version)
    except StaleWrite as exc:
        blobs.delete_melody_version(owner, melody_id, version)
        if store.get(owner, melody_id) is None:
            raise NotFound(f"Melody {melody_id} does not exist.") from exc
        raise Conflict(
            f"Melody {melody_id} was edited by another request at the same time; read it and edit again.",
            code="EDIT_CONFLICT",
        ) from exc
    return from_item(Melody, item)


@cache
def _samples() -> tuple[tuple[Melody, bytes], ...]:
    out = []
    for sample in sample_index().values():
        score = sample.score()
        melody = describe(
            score,
            melody_id=sample.id,
            name=sample.name,
            owner=SAMPLE_OWNER,
            created_at=SAMPLES_CREATED_AT,
            builtin=True,
        )
        out.append((melody, write_midi(score)))
    return tuple(out)


def _sample(melody_id: str) -> tuple[Melody, bytes] | None:
    return next(((m, midi) for m, midi in _samples() if m.id == melody_id), None)


def get(owner: str, melody_id: str) -> Melody:
    """The caller's melody or a built-in one; anyone else's is indistinguishable from a missing one."""
    sample = _sample(melody_id)
    if sample:
        return sample[0]
    item = store.get(owner, melody_id)
    if item is None:
        raise NotFound(f"Melody {melody_id} does not exist.")
    return from_item(Melody, item)


def midi(owner: str, melody_id: str) -> bytes:
    """The current version's MIDI."""
    return accepted_midi(owner, melody_id, get(owner, melody_id).version)


def accepted_midi(owner: str, melody_id: str, version: int = 1) -> bytes:
    """The MIDI of a melody already checked (e.g. when a composition was accepted): one read of the
    owner's own file of that version (or a sample), without looking the record up again."""
    sample = _sample(melody_id)
    if sample:
        return sample[1]
    data = blobs.get_melody(owner, melody_id, version)
    if data is None:
        raise NotFound(f"Melody {melody_id} has no MIDI file.")
    return data


def list_melodies(owner: str, limit: int, token: str | None) -> MelodyList:
    builtin = static_source(SAMPLE_OWNER, [{"owner": SAMPLE_OWNER, **m.to_wire()} for m, _ in _samples()])
    own = Source(owner, lambda n, key: store.page(owner, n, key))
    items, next_token = paginate([builtin, own], limit, token)
    return MelodyList(items=[from_item(Melody, i) for i in items], next_token=next_token)


def delete(owner: str, melody_id: str) -> None:
    melody = _own(owner, melody_id, "deleted")
    try:
        store.delete(owner, melody_id)
    except StaleWrite as exc:
        raise NotFound(f"Melody {melody_id} does not exist.") from exc
    blobs.delete_melody(owner, melody_id, melody.version)
