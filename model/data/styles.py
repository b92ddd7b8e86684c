"""The style corpora: which music21 corpus folders make each style, how a piece becomes the four
tracks (melody + three accompaniment voices), and which pieces of a style are held out.

Every style is real multi-part music that ships inside the music21 wheel. The voice rule is the one
``model.data.corpus.parse_piece`` applies to every piece (named S/A/T/B parts where the score has
them, else the top part by mean pitch is the melody, the lowest the bass and the inner ones spread
evenly); what that means for each style is written in its ``voices`` text below. A style whose
pieces have three voices (the Trecento) keeps its two lower voices as the alto and bass tracks and
leaves the tenor track silent: nothing is invented.

The held-out split of each style is grouped by tune (``model.data.split``) and by work (a quartet's
movements stay together), about a fifth of the pieces, checked in as ``model/data/held_out/<style>.txt``;
the Bach chorales keep theirs (a tenth, by hash) in ``model/data/held_out.txt``.

Example::

    from model.data.styles import STYLES, style_of
    style_of("palestrina/Agnus_01.krn")      # 'renaissance-polyphony'
    STYLES["classical-quartet"].tags        # ('collection:string-quartets',)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from model.data.split import HELD_OUT_DIR, HELD_OUT_FILE, choose_held_out, held_out_paths, tune_groups

BACH = "bach-chorales"
HELD_OUT_SHARE = 0.2  # of a style's tune groups: a small corpus still gets a dozen held-out pieces


@dataclass(frozen=True)
class Style:
    """One style corpus and what its shipped model plays it on."""

    id: str
    name: str
    folders: tuple[tuple[str, str], ...]  # (corpus folder, its collection tag)
    description: str
    voices: str
    instruments: tuple[tuple[str, int], ...]  # (track name, General MIDI program) for melody, A, T, B
    pool_every: int = 1  # keep every n-th file of a folder (by name) in the pool
    min_voices: int = 4
    one_format: bool = True  # a piece stored as .krn and .mxl is taken once, as MusicXML
    silent_track: int | None = None  # an accompaniment track (1-3) the style has no voice for

    @property
    def tags(self) -> tuple[str, ...]:
        """The data-set filter of the style's pieces (collections are alternatives)."""
        return tuple(dict.fromkeys(f"collection:{collection}" for _, collection in self.folders))


STYLES: dict[str, Style] = {
    s.id: s
    for s in (
        Style(
            id="bach-chorales",
            name="Bach chorales",
            folders=(("bach", "bach-chorales"),),
            description="Four-part harmony in the style of J. S. Bach's chorales.",
            voices="the parts named Soprano, Alto, Tenor and Bass (instrumental descants are left out).",
            instruments=(("Melody", 0), ("Alto (Viola)", 41), ("Tenor (Cello)", 42), ("Bass (Acoustic Bass)", 32)),
            one_format=False,  # bwv277/281/366 in both formats: the shipped Bach models were trained so
        ),
        Style(
            id="renaissance-polyphony",
            name="Renaissance polyphony",
            folders=(("palestrina", "palestrina-masses"),),
            description="Sacred vocal polyphony in the style of Palestrina's masses.",
            voices="4-6 voice mass movements: the top voice is the melody, the lowest the bass, the inner "
            "voices evenly spread between (of six voices, the 3rd and 4th from the top). Josquin's 8 "
            "files read as one line each and give no piece, so he is not in the pool.",
            instruments=(
                ("Cantus (Choir Aahs)", 52),
                ("Altus (Recorder)", 74),
                ("Tenor (Voice Oohs)", 53),
                ("Bassus (Bassoon)", 70),
            ),
            pool_every=8,  # 165 of Palestrina's 1,318 movements: plenty for a 15-minute model, minutes to index
        ),
        Style(
            id="madrigal",
            name="Monteverdi madrigals",
            folders=(("monteverdi", "monteverdi-madrigals"),),
            description="Five-voice Italian madrigals in the style of Monteverdi's books 3-5.",
            voices="5 voices (Canto, Quinto, Alto, Tenor, Basso): Canto is the melody, Basso the bass, the "
            "middle voice of the inner three left out (the inner two evenly spread by pitch).",
            instruments=(
                ("Canto (Choir Aahs)", 52),
                ("Alto (Voice Oohs)", 53),
                ("Tenor (Voice Oohs)", 53),
                ("Basso (Choir Aahs)", 52),
            ),
        ),
        Style(
            id="classical-quartet",
            name="Classical string quartet",
            folders=(("haydn", "string-quartets"), ("mozart", "string-quartets"), ("beethoven", "string-quartets")),
            description="String-quartet accompaniment in the style of Haydn, Mozart and Beethoven.",
            voices="Violin I is the melody, Violin II, Viola and Cello the accompaniment (double stops keep "
            "their top note).",
            instruments=(("Violin I", 40), ("Violin II", 40), ("Viola", 41), ("Cello", 42)),
        ),
        Style(
            id="trecento",
            name="Trecento",
            folders=(("trecento", "trecento"),),
            description="Fourteenth-century Italian ballate and madrigals (Landini, Jacopo, Giovanni).",
            voices="3 voices (Cantus, Contratenor, Tenor): Cantus is the melody, the lowest voice the bass track, "
            "the other the alto track; the tenor track stays silent. Of the 22 pieces with 4-5 voices the top, the "
            "middle and the lowest are taken; two-voice pieces are left out.",
            instruments=(
                ("Cantus (Recorder)", 74),
                ("Contratenor (Shawm)", 68),
                ("(silent)", 71),
                ("Tenor (Bassoon)", 70),
            ),
            min_voices=3,
            silent_track=2,
        ),
    )
}
FOLDER_STYLE = {folder: style.id for style in STYLES.values() for folder, _ in style.folders}
COLLECTIONS = {folder: collection for style in STYLES.values() for folder, collection in style.folders}


def style_of(path: str) -> str:
    """The style of a corpus path (by its folder), e.g. ``palestrina/...`` -> ``renaissance-polyphony``."""
    return FOLDER_STYLE[path.split("/", 1)[0]]


def held_out_file(style: str) -> Path:
    return HELD_OUT_FILE if style == BACH else HELD_OUT_DIR / f"{style}.txt"


def work_of(path: str) -> str:
    """The work a file belongs to: its folder when the composer's folder has one per work (a
    quartet's movements), else the file itself."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def style_groups(tunes: Mapping[str, Sequence[int]]) -> list[list[str]]:
    """Tune groups (``split.tune_groups``) joined further by work, so no movement of a held-out
    quartet is trained on."""
    joined: list[set[str]] = []
    for group in tune_groups(tunes):
        members, works = set(group), {work_of(p) for p in group}
        for other in [g for g in joined if works & {work_of(p) for p in g}]:
            joined.remove(other)
            members |= other
        joined.append(members)
    return sorted(sorted(g) for g in joined)


def choose_held_out_share(groups: Sequence[Sequence[str]], share: float = HELD_OUT_SHARE) -> list[str]:
    """Whole groups held out, in the order of a hash of each group's first path, until ``share`` of
    the pieces are out (a fixed share, so a 47-piece corpus still gets about 9 held-out pieces)."""
    ranked = sorted(groups, key=lambda g: hashlib.sha256(min(g).encode()).hexdigest())
    total = sum(len(g) for g in groups)
    held: list[str] = []
    for group in ranked:
        if len(held) >= share * total:
            break
        held.extend(group)
    return sorted(held)


def split_style(style: str, tunes: Mapping[str, Sequence[int]]) -> list[str]:
    """The held-out pieces of one style from the tunes of all indexed pieces. The Bach chorales keep
    the tenth chosen by hash (``split.choose_held_out``) that their shipped models were judged on."""
    own = {path: tune for path, tune in tunes.items() if style_of(path) == style}
    if style == BACH:
        return choose_held_out(tune_groups(own))
    return choose_held_out_share(style_groups(own))


def write_splits(tunes: Mapping[str, Sequence[int]]) -> dict[str, list[str]]:
    """Rewrite every style's checked-in held-out list; returns them by style."""
    HELD_OUT_DIR.mkdir(exist_ok=True)
    splits = {style: split_style(style, tunes) for style in STYLES}
    for style, held in splits.items():
        held_out_file(style).write_text("".join(f"{path}\n" for path in held))
    held_out_paths.cache_clear()
    return splits
