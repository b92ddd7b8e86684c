"""The data layer every technique shares (training data from the music21 corpus, which ships
inside the wheel: nothing is downloaded).

Pipeline: the *pool* of multi-part pieces -> a tag index (composer, collection, meter, parts, key,
mode) -> the pieces matching a data-set filter -> four voices each, quantised to ``STEPS_PER_BEAT``
(``corpus``) -> the held-out split (``split``) -> 32-step windows, transposed for augmentation,
cropped to the model's pitch band (``windows``).

Command line::

    python -m model.data tags                       # the tags and their piece counts
    python -m model.data build --tags collection:bach-chorales [--out DIR]
    python -m model.data index                      # re-parse the pool and rewrite the shipped index
"""

from model.data.corpus import (
    CACHE_ENV,
    DEFAULT_TAGS,
    INDEX_VERSION,
    PIECE_SUFFIXES,
    REPO_ROOT,
    SHIPPED_INDEX,
    TAG_KINDS,
    VOICES,
    Dataset,
    DatasetError,
    build,
    build_index,
    cache_dir,
    four_four,
    key_tags,
    list_tags,
    load_channel,
    load_index,
    load_or_parse,
    load_pieces,
    match,
    parse_piece,
    parse_tags,
    piece_roll,
    pool_paths,
    tunes,
)
from model.data.split import HELD_OUT_PER_MILLE, is_held_out
from model.data.styles import COLLECTIONS, STYLES, style_of
from model.data.windows import (
    HOP_STEPS,
    LOW_PITCH,
    PITCH_COUNT,
    TRANSPOSITIONS,
    WINDOW_STEPS,
    gather,
    gather_profiles,
    melody_profiles,
    normalised_profile,
    piece_windows,
    window_index,
)

__all__ = [
    "CACHE_ENV",
    "COLLECTIONS",
    "DEFAULT_TAGS",
    "HELD_OUT_PER_MILLE",
    "HOP_STEPS",
    "INDEX_VERSION",
    "LOW_PITCH",
    "PIECE_SUFFIXES",
    "PITCH_COUNT",
    "REPO_ROOT",
    "SHIPPED_INDEX",
    "STYLES",
    "TAG_KINDS",
    "TRANSPOSITIONS",
    "VOICES",
    "WINDOW_STEPS",
    "Dataset",
    "DatasetError",
    "build",
    "build_index",
    "cache_dir",
    "four_four",
    "gather",
    "gather_profiles",
    "is_held_out",
    "key_tags",
    "list_tags",
    "load_channel",
    "load_index",
    "load_or_parse",
    "load_pieces",
    "match",
    "melody_profiles",
    "normalised_profile",
    "parse_piece",
    "parse_tags",
    "piece_roll",
    "piece_windows",
    "pool_paths",
    "style_of",
    "tunes",
    "window_index",
]
