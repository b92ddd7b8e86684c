"""The corpus side of the data layer: the pool of music21 pieces, their tag index, parsing into
four voices, and the cached data set of whole-piece rolls for a filter.

Everything parsed is cached under ``$COMPOSER_DATA_CACHE`` (default ``<repo>/.cache/composer-data``):
one file per parsed piece and one per built data set, so a second build is near-instant. The tag
index of the whole pool is also shipped as ``model/dataset_index.json`` so listing tags and filtering
never parse the corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.atomic import write_atomically, write_json
from model.data.split import is_held_out
from model.data.styles import COLLECTIONS, STYLES, style_of
from model.keys import estimate_key, key_name
from shared.music.pianoroll import PITCHES, STEPS_PER_BEAT

if TYPE_CHECKING:
    from music21 import stream

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_INDEX = REPO_ROOT / "model" / "dataset_index.json"
CACHE_ENV = "COMPOSER_DATA_CACHE"
INDEX_VERSION = 2
PARSE_VERSION = 3  # bump when parse_piece changes: the per-piece cache is keyed by it
SATB = ("soprano", "alto", "tenor", "bass")
VOICE_NAME = re.compile(r"\s*(soprano|alto|tenor|bass)\b")
VOICES = 4
DEFAULT_TAGS = ("collection:bach-chorales",)
TAG_KINDS = ("composer", "collection", "meter", "parts", "mode", "key")

PIECE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")


class DatasetError(ValueError):
    """The data-set filter or the data cannot make a training set; the message says why."""


def cache_dir() -> Path:
    path = Path(os.environ.get(CACHE_ENV) or REPO_ROOT / ".cache" / "composer-data")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the pool and its tag index ---------------------------------------------------------------


def pool_paths() -> list[str]:
    """Corpus-relative paths of every candidate piece, sorted (music21's own listing, no parsing):
    the files of each style's folders (every ``pool_every``-th by name; one format per piece
    where the style says so)."""
    from music21 import corpus

    paths = []
    for style in STYLES.values():
        for folder, _ in style.folders:
            files = sorted(
                relative
                for relative in (str(p).replace("\\", "/").split("/corpus/", 1)[-1] for p in corpus.getComposer(folder))
                if relative.endswith(PIECE_SUFFIXES)
            )
            if style.one_format:
                stems = {f.rsplit(".", 1)[0] for f in files if f.endswith(".mxl")}
                files = [f for f in files if f.endswith(".mxl") or f.rsplit(".", 1)[0] not in stems]
            paths.extend(files[:: style.pool_every])
    return sorted(paths)


def _first_measure_padding(part: stream.Part) -> float:
    measure = part.getElementsByClass("Measure").first()
    padding = getattr(measure, "paddingLeft", 0.0) if measure is not None else 0.0
    return float(padding or 0.0)


def _named_voices(names: Sequence[str]) -> list[int] | None:
    """Indexes of the parts named Soprano, Alto, Tenor and Bass (the first of each, in that order),
    or None when the score does not name all four. Instrumental parts (a violin descant, horns,
    continuo) are not voices, whatever their pitch."""
    found: dict[str, int] = {}
    for i, name in enumerate(names):
        word = VOICE_NAME.match(name.lower())
        if word and word.group(1) not in found:
            found[word.group(1)] = i
    return [found[v] for v in SATB] if len(found) == len(SATB) else None


def tune_of(melody: Sequence[tuple[int, int, int]]) -> list[int]:
    """The melody as a transposition-free tune: its intervals in semitones, repeated notes merged.
    Two settings of one chorale tune share it even in another key or rhythm."""
    pitches = [pitch for _, pitch, _ in melody]
    merged = [p for i, p in enumerate(pitches) if i == 0 or p != pitches[i - 1]]
    return [b - a for a, b in zip(merged, merged[1:], strict=False)]


def corpus_file(path: str) -> Path:
    """The file of a corpus-relative path inside the installed music21 package."""
    from music21 import common

    return Path(common.getCorpusFilePath()) / path


def part_notes(part: stream.Part, padding: float) -> list[tuple[int, int, int]]:
    """A part's notes as sorted ``(start, pitch, length)`` steps: chords keep their top note, a tie
    chain is one note. Ties are merged here rather than by music21's ``stripTies``, which re-sorts
    the part for every tie (quadratic: 27 of the 50 s a Beethoven movement took)."""
    notes: list[list[int]] = []
    tied: dict[int, int] = {}  # pitch -> index of the note whose tie is still open
    for element in part.flatten().notes:
        pitches = [p.midi for p in element.pitches]
        if not pitches:
            continue
        start = round((float(element.offset) + padding) * STEPS_PER_BEAT)
        end = round((float(element.offset) + padding + float(element.quarterLength)) * STEPS_PER_BEAT)
        if end <= start:
            continue
        pitch, tie = max(pitches), getattr(element.tie, "type", None)
        open_note = tied.pop(pitch, None)
        if tie in ("stop", "continue") and open_note is not None and notes[open_note][0] + notes[open_note][2] == start:
            notes[open_note][2] = end - notes[open_note][0]
            index = open_note
        else:
            notes.append([start, pitch, end - start])
            index = len(notes) - 1
        if tie in ("start", "continue"):
            tied[pitch] = index
    return sorted((a, b, c) for a, b, c in notes)


def pick_voices(
    voices: list[list[tuple[int, int, int]]], silent: int | None = None
) -> list[list[tuple[int, int, int]]]:
    """Four tracks from the parts by mean pitch: the top is the melody, the lowest the bass, inner
    ones evenly spread between. A style with a ``silent`` track (three-voice music) takes three
    parts the same way and leaves that track empty: nothing is invented."""
    order = sorted(range(len(voices)), key=lambda i: -np.mean([n[1] for n in voices[i]]))
    tracks = VOICES - (silent is not None)
    picked = [voices[order[round(k * (len(order) - 1) / (tracks - 1))]] for k in range(tracks)]
    if silent is not None:
        picked.insert(silent, [])
    return picked


def parse_piece(path: str) -> dict[str, Any]:
    """Parse one corpus piece into four voices of (start, pitch, length) notes in steps, plus tags.

    Where the score names its Soprano, Alto, Tenor and Bass parts those are the voices (the
    soprano is the melody); otherwise ``pick_voices`` chooses by pitch. Chords keep their top
    note; ties are merged. A pickup bar is padded so that step 0 is a downbeat. The file is read
    straight from the corpus folder (``corpus.parse`` first scans the whole corpus listing to
    resolve a path: 0.3-0.5 s in each fresh worker). Returns ``{"path", "skip"}`` for a piece that
    cannot give the voices its style needs (``Style.min_voices``).
    """
    from music21 import converter

    # our own per-piece cache replaces music21's pickle cache, so a cold build is really cold
    score: Any = converter.parse(corpus_file(path), forceSource=True)  # a Score, or an Opus of them
    if hasattr(score, "scores"):  # an Opus (several tunes in one file): its first score
        score = score.scores[0]
    parts = list(score.parts)
    named = _named_voices([str(part.partName or part.id or "") for part in parts])
    padding = _first_measure_padding(parts[named[0]] if named else parts[0]) if parts else 0.0
    voices, named_voices = [], []
    for i, part in enumerate(parts):
        notes = part_notes(part, padding)
        if notes:
            voices.append(notes)
        if named is not None and i in named:
            named_voices.append((named.index(i), notes))
    style = STYLES[style_of(path)]
    if len(voices) < style.min_voices:
        return {"path": path, "skip": f"{len(voices)} voices"}
    if named is not None and all(notes for _, notes in named_voices):
        picked = [notes for _, notes in sorted(named_voices)]
    else:
        named = None
        picked = pick_voices(voices, style.silent_track)
    meters = score.recurse().getElementsByClass("TimeSignature")
    meter = meters.first().ratioString if meters.first() is not None else "4/4"
    folder = path.split("/", 1)[0]
    tags = {
        "composer": folder,
        "collection": COLLECTIONS[folder],
        "meter": meter,
        "parts": str(len(voices)),
        **key_tags(picked),
    }
    return {"path": path, "tags": tags, "voices": picked, "named": named is not None, "tune": tune_of(picked[0])}


def key_tags(voices: list[list[tuple[int, int, int]]]) -> dict[str, str]:
    """The mode and key tags: the key estimated from all four voices, duration-weighted."""
    histogram = np.zeros(12)
    for voice in voices:
        for _, pitch, length in voice:
            histogram[pitch % 12] += length
    key = estimate_key(histogram)
    return {"mode": key[1] if key else "unknown", "key": key_name(key) if key else "unknown"}


def _piece_file(path: str) -> Path:
    safe = path.replace("/", "__")
    return cache_dir() / f"pieces-v{PARSE_VERSION}" / f"{safe}.json"


def load_or_parse(path: str) -> dict[str, Any]:
    """A parsed piece, from the cache when it is there (parsing is the slow part)."""
    file = _piece_file(path)
    if file.exists():
        cached: dict[str, Any] = json.loads(file.read_text())
        return cached
    try:
        piece = parse_piece(path)
    except Exception as exc:  # a corpus file music21 cannot read is skipped, with the reason kept
        piece = {"path": path, "skip": f"unreadable: {type(exc).__name__}: {exc}"[:200]}
    write_json(file, piece)
    return piece


def load_pieces(paths: Sequence[str], workers: int = 2) -> list[dict[str, Any]]:
    """Parse (or read from cache) many pieces, with at most ``workers`` processes."""
    missing = [p for p in paths if not _piece_file(p).exists()]
    if missing and workers > 1 and len(missing) > 4:
        with get_context("spawn").Pool(min(workers, 2)) as pool:
            for _ in pool.imap_unordered(load_or_parse, missing, chunksize=4):
                pass
    return [load_or_parse(p) for p in paths]


def build_index(workers: int = 2) -> dict[str, Any]:
    """Parse the whole pool and write the tag index (cache and shipped copy), with each piece's
    count of training windows (what a job's time estimate and size check are computed from)."""
    from model.data.windows import piece_windows

    pieces = load_pieces(pool_paths(), workers)
    index = {
        "version": INDEX_VERSION,
        "pieces": {
            p["path"]: {
                **p["tags"],
                **key_tags(p["voices"]),
                "style": style_of(p["path"]),
                "windows": piece_windows(piece_roll(p)),
            }
            for p in pieces
            if "tags" in p
        },
        "skipped": {p["path"]: p["skip"] for p in pieces if "skip" in p},
        "tunes": {p["path"]: " ".join(map(str, p["tune"])) for p in pieces if "tune" in p},
    }
    text = json.dumps(index, indent=0, sort_keys=True)
    SHIPPED_INDEX.write_text(text)
    return index


def tunes(index: dict[str, Any] | None = None) -> dict[str, list[int]]:
    """Each indexed piece's melody as ``tune_of`` intervals (stored as a compact string)."""
    index = index or load_index()
    return {path: [int(i) for i in text.split()] for path, text in index.get("tunes", {}).items()}


def load_index() -> dict[str, Any]:
    if not SHIPPED_INDEX.exists():
        return build_index()
    shipped: dict[str, Any] = json.loads(SHIPPED_INDEX.read_text())
    return shipped


def list_tags(index: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every tag one can filter on with its piece count, as ``{"tag", "kind", "pieces"}``."""
    index = index or load_index()
    counts: Counter[tuple[str, str]] = Counter()
    for tags in index["pieces"].values():
        for kind in TAG_KINDS:
            counts[(kind, tags[kind])] += 1
    return [
        {"tag": f"{kind}:{value}", "kind": kind, "pieces": n}
        for (kind, value), n in sorted(counts.items(), key=lambda kv: (TAG_KINDS.index(kv[0][0]), kv[0][1]))
    ]


def parse_tags(raw: str | Iterable[str] | None) -> list[str]:
    """Tags from a list, a JSON list string or a comma-separated string (how SageMaker passes them)."""
    if raw is None or raw == "":
        return list(DEFAULT_TAGS)
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith(("[", '"')):  # a JSON list, or a JSON-encoded string (the SageMaker SDK's habit)
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"dataset_tags is not a valid JSON list: {exc}") from exc
        raw = raw.split(",") if isinstance(raw, str) else raw
    tags = [str(t).strip().lower() for t in raw if str(t).strip()]
    return list(dict.fromkeys(tags)) or list(DEFAULT_TAGS)


def match(tags: Sequence[str], index: dict[str, Any] | None = None) -> list[str]:
    """Paths of the pieces that match a filter. Tags are ``kind:value`` (or a bare value of any
    kind); tags of one kind are alternatives (OR), different kinds must all hold (AND)."""
    index = index or load_index()
    known = {(t["kind"], t["tag"].split(":", 1)[1]) for t in list_tags(index)}
    wanted: dict[str, set[str]] = {}
    for tag in tags:
        kind, _, value = tag.partition(":") if ":" in tag and tag.split(":", 1)[0] in TAG_KINDS else ("", "", tag)
        kinds = [kind] if kind else [k for k, v in known if v == value]
        if not kinds or (kind and (kind, value) not in known):
            raise DatasetError(
                f"Unknown data-set tag {tag!r}; list the tags with `python -m model.data tags` (e.g. composer:bach)."
            )
        for k in kinds:
            wanted.setdefault(k, set()).add(value)
    paths = [
        path
        for path, piece_tags in sorted(index["pieces"].items())
        if all(piece_tags[kind] in values for kind, values in wanted.items())
    ]
    if not paths:
        raise DatasetError(f"No piece matches all of {list(tags)}; loosen the filter.")
    return paths


# --- the data set -----------------------------------------------------------------------------


@dataclass
class Dataset:
    """Binary piece rolls ``(steps, 128, 4)`` and their held-out flags, plus what they came from."""

    paths: list[str]
    rolls: list[np.ndarray]
    held_out: np.ndarray
    tags: list[str]

    def split(self, held_out: bool) -> list[np.ndarray]:
        return [r for r, h in zip(self.rolls, self.held_out, strict=False) if h == held_out]

    def save(self, file: Path) -> None:
        lengths = np.array([r.shape[0] for r in self.rolls], dtype=np.int64)
        packed = np.concatenate(self.rolls, axis=0) if self.rolls else np.zeros((0, PITCHES, VOICES), bool)
        write_atomically(
            file,
            lambda tmp: np.savez_compressed(
                tmp,
                rolls=np.packbits(packed, axis=1),
                lengths=lengths,
                held_out=self.held_out,
                paths=np.array(self.paths),
                tags=np.array(self.tags),
            ),
        )

    @classmethod
    def load(cls, file: Path) -> Dataset:
        with np.load(file, allow_pickle=False) as data:
            packed = np.unpackbits(data["rolls"], axis=1, count=PITCHES).astype(bool)
            bounds = np.cumsum(np.concatenate([[0], data["lengths"]]))
            rolls = [packed[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
            return cls(
                list(map(str, data["paths"])), rolls, data["held_out"].astype(bool), list(map(str, data["tags"]))
            )


def piece_roll(piece: dict[str, Any]) -> np.ndarray:
    steps = max(start + length for voice in piece["voices"] for start, _, length in voice)
    roll = np.zeros((steps, PITCHES, VOICES), dtype=bool)
    for v, voice in enumerate(piece["voices"]):
        for start, pitch, length in voice:
            roll[start : start + length, pitch, v] = True
    return roll


def build(tags: Sequence[str] | str | None = None, max_pieces: int | None = None, workers: int = 2) -> Dataset:
    """The data set for a filter, from the cache when it was built before."""
    tags = parse_tags(tags) if not isinstance(tags, list) else tags
    paths = match(tags)
    if max_pieces is not None:
        # keep the split balanced: a few held-out pieces and the rest for training
        held = [p for p in paths if is_held_out(p)][: max(1, max_pieces // 5)]
        paths = sorted(held + [p for p in paths if not is_held_out(p)][: max_pieces - len(held)])
    key = hashlib.sha256(json.dumps([INDEX_VERSION, paths]).encode()).hexdigest()[:16]
    file = cache_dir() / "datasets" / f"{key}.npz"
    if file.exists():
        return Dataset.load(file)
    pieces = [p for p in load_pieces(paths, workers) if "voices" in p]
    if not pieces:
        raise DatasetError(f"None of the {len(paths)} pieces matching {list(tags)} has four voices.")
    dataset = Dataset(
        paths=[p["path"] for p in pieces],
        rolls=[piece_roll(p) for p in pieces],
        held_out=np.array([is_held_out(p["path"]) for p in pieces], dtype=bool),
        tags=list(tags),
    )
    file.parent.mkdir(parents=True, exist_ok=True)
    dataset.save(file)
    return dataset


def load_channel(directory: str | Path) -> Dataset | None:
    """A data set handed over as a SageMaker channel: ``dataset.npz`` written by ``build --out``."""
    file = Path(directory) / "dataset.npz"
    return Dataset.load(file) if file.exists() else None


def four_four(paths: Sequence[str], rolls: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The rolls of the pieces in 4/4 (by the shipped tag index); all of them if none is known."""
    pieces = load_index()["pieces"]
    kept = [r for p, r in zip(paths, rolls, strict=True) if pieces.get(p, {}).get("meter") == "4/4"]
    return kept or list(rolls)
