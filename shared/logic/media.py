"""Media of compositions and melodies: their audio (rendered once, then served from the bucket) and
the piano-roll picture.

Every entry point checks the owner first (through ``compositions.midi`` / ``melodies.midi``, which
answer 404 for anyone else's id), and only then touches the cache or signs a URL. The cache key is
the MIDI's key plus a digest of the MIDI bytes and of the renderer's settings
(``shared.resources.Keys.audio``): a melody whose notes were replaced gets a fresh render, and an
unchanged one is never rendered twice.

A Lambda response carries at most 6 MB, base64 included; audio larger than ``INLINE_LIMIT_BYTES``
is answered with a presigned URL (valid ``PRESIGNED_SECONDS``) for the caller to fetch from S3.

    >>> audio_for_midi_key("compositions/u/cmp-1.mid", AudioFormat.MP3)  # doctest: +SKIP
    Media(body=b'ID3...', url=None, ...)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import version

from shared.errors import NotFound
from shared.logic import compositions, melodies, shares
from shared.music.audio import RENDER_SETTINGS, AudioFormat, render
from shared.resources import Keys
from shared.store import blobs

# 6 MB (6,291,456 bytes) of response, of which base64 takes a third, less headroom for the JSON
# envelope and headers.
INLINE_LIMIT_BYTES = 4_500_000
PRESIGNED_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Media:
    """Audio to answer with: the bytes (``body``) or, when too large to send inline, a presigned
    ``url``; ``cached`` says whether it came from the bucket rather than a render just now."""

    media_type: str
    filename: str
    etag: str
    last_modified: datetime
    cached: bool
    body: bytes | None = None
    url: str | None = None


@cache
def _renderer() -> bytes:
    """The render settings and the synthesizer's and encoder's versions: a new one renders afresh."""
    return f"{RENDER_SETTINGS}/{version('tinysoundfont')}/{version('lameenc')}".encode()


def cache_key(midi_key: str, midi: bytes, fmt: AudioFormat) -> str:
    digest = hashlib.sha256(_renderer() + b"\0" + midi).hexdigest()[:32]
    return Keys.audio(midi_key, digest, fmt.value)


def audio_for_midi(midi_key: str, midi: bytes, fmt: AudioFormat, filename: str) -> Media:
    """The audio of ``midi`` (stored at, or named as, ``midi_key``): from the cache, or rendered and
    cached. Call it only after the caller's right to ``midi_key`` was checked."""
    key = cache_key(midi_key, midi, fmt)
    name = f"{filename}.{fmt.value}"
    meta = blobs.head(key)
    body: bytes | None = None
    cached = meta is not None
    if meta is None:
        body = render(midi, fmt)
        meta = blobs.put_object(key, body, fmt.media_type)
    media = {
        "media_type": fmt.media_type,
        "filename": name,
        "etag": meta["etag"],
        "last_modified": meta["lastModified"],
    }
    if meta["size"] > INLINE_LIMIT_BYTES:
        return Media(**media, cached=cached, url=blobs.presigned_get(key, PRESIGNED_SECONDS, name))
    if body is None:
        body = blobs.get_object(key)
        if body is None:  # deleted between the two reads: render again rather than fail
            return audio_for_midi(midi_key, midi, fmt, filename)
    return Media(**media, cached=cached, body=body)


def audio_for_midi_key(midi_key: str, fmt: AudioFormat, filename: str | None = None) -> Media:
    """The audio of the MIDI file stored at ``midi_key`` in the bucket (a composition's, a melody's,
    a training sample's); for callers that already decided the key may be served (share links,
    per-epoch samples)."""
    midi = blobs.get_object(midi_key)
    if midi is None:
        raise NotFound("There is no MIDI file to render.")
    return audio_for_midi(midi_key, midi, fmt, filename or midi_key.rsplit("/", 1)[-1].removesuffix(".mid"))


def composition_audio(owner: str, composition_id: str, fmt: AudioFormat) -> Media:
    """404 for another owner's id and 409 until COMPLETED (``compositions.midi``), then the audio."""
    midi = compositions.midi(owner, composition_id)
    return audio_for_midi(Keys.composition_midi(owner, composition_id), midi, fmt, composition_id)


def melody_audio(owner: str, melody_id: str, fmt: AudioFormat) -> Media:
    """The caller's own melody or a built-in sample (cached under the samples' owner)."""
    melody = melodies.get(owner, melody_id)
    midi = melodies.accepted_midi(melody.owner, melody_id)
    return audio_for_midi(Keys.melody_midi(melody.owner, melody_id), midi, fmt, melody_id)


def composition_pianoroll(owner: str, composition_id: str, scale: int = 1) -> bytes:
    from shared.logic.pianoroll import render_png  # imported only when a picture is asked for

    return render_png(compositions.midi(owner, composition_id), scale)


def shared_audio(token: str, fmt: AudioFormat) -> Media:
    """A share link's composition as audio (no owner: the token is the right to it)."""
    key, midi = shares.shared_midi(token)
    return audio_for_midi(key, midi, fmt, "shared")


def shared_pianoroll(token: str, scale: int = 1) -> bytes:
    from shared.logic.pianoroll import render_png  # imported only when a picture is asked for

    return render_png(shares.shared_midi(token)[1], scale)
