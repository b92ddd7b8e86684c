"""Melodies from music21's corpus: the folk collections and the Bach chorale sopranos.

A tune is ``{"id", "title", "collection", "meter", "notes": [[start, pitch, duration], ...]}`` with
times in 16th-note steps from the first downbeat (a pickup is padded so step 0 is a bar line).
Collections are ABC books of many tunes; each file is parsed once and cached as JSON under
``$COMPOSER_DATA_CACHE/melodies`` (parsing is the slow part: about 35 ms per tune). The sopranos come
from the shared data layer's four-voice parse (``model.data``), so a chorale is never parsed twice.

The held-out split is grouped by tune: tunes that share a title, or whose first notes have the same
intervals and rhythm (a variant, or a chorale melody harmonised twice), fall into one group, and a
group is held out whole. The split is checked in as ``heldout.txt`` (one tune id a line).

Command line::

    python -m model.transformer.corpus parse     # parse (or read from cache) every collection
    python -m model.transformer.corpus split     # rewrite the checked-in held-out list
    python -m model.transformer.corpus channel --tags essen --out DIR   # melodies.json for a job
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Hashable, Iterable, Sequence
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from model import data as D
from model.atomic import write_json

if TYPE_CHECKING:
    from music21 import stream


CACHE_VERSION = 1
STEPS_PER_QUARTER = 4
HELD_OUT_FILE = Path(__file__).resolve().parent / "heldout.txt"
CHANNEL_FILE = "melodies.json"
HELD_OUT_PER_MILLE = 50  # 5 % of the tune groups
FINGERPRINT_NOTES = 12

# corpus folder -> collection tag (the data-set tags of the melody collections)
FOLK_COLLECTIONS = {
    "airdsAirs": "airds-airs",
    "essenFolksong": "essen",
    "oneills1850": "oneills-1850",
    "ryansMammoth": "ryans-mammoth",
}
CHORALE_COLLECTION = "bach-chorales"
COLLECTIONS = (*FOLK_COLLECTIONS.values(), CHORALE_COLLECTION)
DEFAULT_COLLECTIONS = COLLECTIONS


class CorpusError(ValueError):
    """The collection filter names nothing we have; the message says what exists."""


def corpus_files(folder: str) -> list[str]:
    """Corpus-relative ABC files of one folk collection, sorted (the Essen test files left out)."""
    from music21 import corpus

    files = []
    for path in corpus.getComposer(folder):
        relative = str(path).replace("\\", "/").split("/corpus/", 1)[-1]
        if relative.endswith(".abc") and not Path(relative).name.startswith("test"):
            files.append(relative)
    return sorted(files)


def _score_tune(score: stream.Score, tune_id: str, collection: str) -> dict[str, Any]:
    """One music21 score -> a tune (or ``{"id", "skip"}`` with the reason it cannot be one)."""
    parts: list[stream.Stream[Any]] = list(score.parts) or [score]
    part = parts[0]
    meters = {ts.ratioString for ts in part.recurse().getElementsByClass("TimeSignature")}
    if len(meters) != 1:
        return {"id": tune_id, "skip": f"{len(meters)} time signatures"}
    measure = part.getElementsByClass("Measure").first()
    padding = float(getattr(measure, "paddingLeft", 0.0) or 0.0) if measure is not None else 0.0
    part = part.stripTies()
    onsets: dict[int, tuple[int, int]] = {}
    for element in part.flatten().notes:
        pitches = [p.midi for p in element.pitches]
        start = round((float(element.offset) + padding) * STEPS_PER_QUARTER)
        end = round((float(element.offset) + padding + float(element.quarterLength)) * STEPS_PER_QUARTER)
        if pitches and end > start:  # grace notes (no length) are left out
            onsets[start] = (max(pitches), end - start)
    notes = [[start, pitch, length] for start, (pitch, length) in sorted(onsets.items())]
    for a, b in pairwise(notes):  # monophonic: a note ends where the next begins
        a[2] = min(a[2], b[0] - a[0])
    if len(notes) < 8:
        return {"id": tune_id, "skip": f"{len(notes)} notes"}
    title = str(score.metadata.title or "") if score.metadata is not None else ""
    return {"id": tune_id, "title": title, "collection": collection, "meter": meters.pop(), "notes": notes}


def parse_file(path: str) -> list[dict[str, Any]]:
    """Every tune of one ABC file (an opus, or a single tune)."""
    from music21 import corpus

    collection = FOLK_COLLECTIONS[path.split("/", 1)[0]]
    parsed = corpus.parse(path, forceSource=True)
    scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
    tunes = []
    for i, score in enumerate(scores):
        number = score.metadata.number if score.metadata is not None and score.metadata.number else i + 1
        try:
            tunes.append(_score_tune(score, f"{path}#{number}", collection))
        except Exception as exc:  # a tune music21 reads wrongly is skipped, with the reason kept
            tunes.append({"id": f"{path}#{number}", "skip": f"{type(exc).__name__}: {exc}"[:200]})
    return tunes


def _cache_file(path: str) -> Path:
    return D.cache_dir() / "melodies" / f"v{CACHE_VERSION}" / (path.replace("/", "__") + ".json")


def load_or_parse_file(path: str) -> list[dict[str, Any]]:
    file = _cache_file(path)
    if file.exists():
        result: list[dict[str, Any]] = json.loads(file.read_text())
        return result
    try:
        tunes = parse_file(path)
    except Exception as exc:  # a file music21 cannot read at all is skipped, with the reason kept
        tunes = [{"id": path, "skip": f"unreadable: {type(exc).__name__}: {exc}"[:200]}]
    write_json(file, tunes)
    return tunes


def chorale_sopranos(workers: int = 2) -> list[dict[str, Any]]:
    """The soprano of every Bach chorale, from the shared four-voice parse."""
    paths = D.match([f"collection:{CHORALE_COLLECTION}"])
    index = D.load_index()["pieces"]
    tunes = []
    for piece in D.load_pieces(paths, workers):
        if "voices" not in piece:
            continue
        notes = [list(n) for n in piece["voices"][0]]
        for a, b in pairwise(notes):
            a[2] = min(a[2], b[0] - a[0])
        notes = [n for n in notes if n[2] > 0]
        tunes.append(
            {
                "id": piece["path"],
                "title": "",
                "collection": CHORALE_COLLECTION,
                "meter": index[piece["path"]]["meter"],
                "notes": notes,
            }
        )
    return tunes


def resolve_collections(tags: Iterable[str] | None) -> list[str]:
    """Collection names from data-set tags (``collection:essen`` or ``essen``); none means all."""
    chosen = []
    for tag in tags or ():
        name = tag.split(":", 1)[1] if tag.startswith("collection:") else tag
        if name not in COLLECTIONS:
            raise CorpusError(f"Unknown melody collection {tag!r}; choose from {', '.join(COLLECTIONS)}.")
        chosen.append(name)
    return list(dict.fromkeys(chosen)) or list(DEFAULT_COLLECTIONS)


def load_tunes(collections: Sequence[str] = DEFAULT_COLLECTIONS, workers: int = 2) -> list[dict[str, Any]]:
    """The usable tunes of the chosen collections, in a fixed order."""
    files = [f for folder, name in FOLK_COLLECTIONS.items() if name in collections for f in corpus_files(folder)]
    missing = [f for f in files if not _cache_file(f).exists()]
    if missing and workers > 1 and len(missing) > 2:
        with get_context("spawn").Pool(min(workers, 2)) as pool:
            for _ in pool.imap_unordered(load_or_parse_file, missing):
                pass
    tunes = [t for f in files for t in load_or_parse_file(f) if "skip" not in t]
    if CHORALE_COLLECTION in collections:
        tunes += chorale_sopranos(workers)
    return tunes


# --- the held-out split, grouped by tune --------------------------------------------------------


def _title_key(title: str) -> str:
    return re.sub(r"[^a-z]", "", title.lower())


def fingerprint(notes: Sequence[Sequence[int]]) -> tuple[tuple[int, int], ...]:
    """The first notes' intervals and durations: the same in every key, so variants and
    re-harmonised chorale melodies match."""
    head = notes[: FINGERPRINT_NOTES + 1]
    return tuple((b[1] - a[1], a[2]) for a, b in pairwise(head))


def tune_groups(tunes: Sequence[dict[str, Any]]) -> list[int]:
    """A group number per tune: tunes sharing a title or a fingerprint are one group (union-find)."""
    parent = list(range(len(tunes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, Hashable], int] = {}
    for i, tune in enumerate(tunes):
        keys: list[tuple[str, Hashable]] = [("fp", fingerprint(tune["notes"]))]
        if len(_title_key(tune.get("title", ""))) >= 4:
            keys.append(("title", _title_key(tune["title"])))
        for key in keys:
            if key in first:
                parent[find(i)] = find(first[key])
            else:
                first[key] = i
    return [find(i) for i in range(len(tunes))]


def choose_held_out(tunes: Sequence[dict[str, Any]]) -> list[str]:
    """Ids of the held-out tunes: whole groups, chosen by a hash of the group's first tune id."""
    groups = tune_groups(tunes)
    first_id: dict[int, str] = {}
    for tune, group in zip(tunes, groups, strict=True):
        first_id.setdefault(group, tune["id"])
    held = []
    for tune, group in zip(tunes, groups, strict=True):
        digest = hashlib.sha256(first_id[group].encode()).digest()
        if int.from_bytes(digest[:4], "big") % 1000 < HELD_OUT_PER_MILLE:
            held.append(tune["id"])
    return sorted(held)


def held_out_ids() -> frozenset[str]:
    """The checked-in held-out tune ids."""
    return frozenset(line for line in HELD_OUT_FILE.read_text().splitlines() if line and not line.startswith("#"))


def split(tunes: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(training, held-out) by the checked-in list."""
    held = held_out_ids()
    return [t for t in tunes if t["id"] not in held], [t for t in tunes if t["id"] in held]


def write_channel(
    directory: Path, collections: Sequence[str], train: Sequence[dict[str, Any]], held: Sequence[dict[str, Any]]
) -> Path:
    """The split melodies as one file, handed to a training job as its SageMaker channel."""
    file = Path(directory) / CHANNEL_FILE
    write_json(file, {"collections": list(collections), "train": list(train), "heldOut": list(held)})
    return file


def read_channel(directory: Path) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    data = json.loads((Path(directory) / CHANNEL_FILE).read_text())
    return list(data["collections"]), list(data["train"]), list(data["heldOut"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.transformer.corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("parse", "split", "channel"))
    parser.add_argument("--tags", default="", help="collections, comma-separated (default: all)")
    parser.add_argument("--out", type=Path, default=None, help="channel: the folder to write melodies.json to")
    args = parser.parse_args(argv)
    collections = resolve_collections([t for t in args.tags.split(",") if t.strip()])
    tunes = load_tunes(collections)
    counts: dict[str, int] = {}
    for tune in tunes:
        counts[tune["collection"]] = counts.get(tune["collection"], 0) + 1
    print(json.dumps({"tunes": len(tunes), "notes": sum(len(t["notes"]) for t in tunes), "collections": counts}))
    if args.command == "split":
        held = choose_held_out(tunes)
        header = f"# held-out tunes of model/transformer: {len(held)} of {len(tunes)}, grouped by tune (corpus.py)\n"
        HELD_OUT_FILE.write_text(header + "\n".join(held) + "\n")
        print(f"{len(held)} held-out tunes -> {HELD_OUT_FILE}")
    if args.command == "channel":
        if args.out is None:
            parser.error("channel needs --out")
        train, held_tunes = split(tunes)
        print(
            f"{len(train)} training, {len(held_tunes)} held-out tunes -> "
            f"{write_channel(args.out, collections, train, held_tunes)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
