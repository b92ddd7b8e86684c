"""The style classifier on real corpus pieces, small: the shortest few training and held-out files of
each style (parsed once into the data cache), and the checked-in split and index it relies on."""

from __future__ import annotations

import json

from model import data as D
from model.data.corpus import corpus_file
from model.data.styles import STYLES
from model.styles.evaluate import held_out_accuracy, train_classifier

TRAINING, HELD_OUT = 6, 2


def _shortest(paths: list[str], count: int) -> list[str]:
    return sorted(paths, key=lambda p: corpus_file(p).stat().st_size)[:count]


def test_each_style_has_forty_pieces_a_style_field_and_a_held_out_side():
    index = D.load_index()
    for style in STYLES:
        own = [p for p, tags in index["pieces"].items() if tags["style"] == style]
        held = [p for p in own if D.is_held_out(p)]
        assert len(own) >= 40 and 0 < len(held) < len(own) / 2, (style, len(own), len(held))
        assert set(D.match(list(STYLES[style].tags))) == set(own)


def test_the_classifier_tells_real_held_out_pieces_of_five_styles_apart_better_than_chance():
    index = D.load_index()
    pieces = {}
    for style in STYLES:
        own = [p for p, tags in index["pieces"].items() if tags["style"] == style]
        chosen = _shortest([p for p in own if not D.is_held_out(p)], TRAINING)
        held = _shortest([p for p in own if D.is_held_out(p)], HELD_OUT)
        parsed = {p["path"]: D.piece_roll(p) for p in D.load_pieces(chosen + held) if "voices" in p}
        pieces[style] = ([parsed[p] for p in chosen], [parsed[p] for p in held])
    result = held_out_accuracy(train_classifier(pieces), pieces)
    assert result["pieces"] == len(STYLES) * HELD_OUT
    assert result["windowAccuracy"] > 2 * result["chance"], json.dumps(result)
    assert result["pieceAccuracy"] >= 0.5, json.dumps(result)
