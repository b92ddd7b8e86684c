"""The event vocabulary: exact round trips, and a grammar that keeps decoding inside the meter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.transformer import vocab as V


@st.composite
def melodies(draw) -> tuple[str, list[tuple[int, int, int]]]:
    meter = draw(st.sampled_from(["2/4", "3/4", "4/4", "6/8", "3/2", "5/4"]))
    notes, now = [], draw(st.integers(0, 20))
    for _ in range(draw(st.integers(1, 30))):
        length = draw(st.integers(1, 24))
        notes.append((now, draw(st.integers(V.LOW_PITCH, V.HIGH_PITCH)), length))
        now += length + draw(st.sampled_from([0, 0, 0, 1, 3, 17]))  # sometimes a rest, sometimes a long one
    return meter, notes


@settings(max_examples=200, deadline=None)
@given(melodies())
def test_encode_decode_is_exact_for_monophonic_melodies_with_rests(case) -> None:
    meter, notes = case
    assert V.decode(V.encode(notes, meter), meter, end=notes[-1][0] + notes[-1][2]) == notes
    # the closing rest alone tells where the tune ends
    assert V.decode(V.encode(notes, meter), meter)[-1] == notes[-1]


@settings(max_examples=100, deadline=None)
@given(melodies())
def test_the_grammar_accepts_every_encoded_melody(case) -> None:
    meter, notes = case
    tokens = V.encode(notes, meter)
    grammar = V.Grammar(V.bar_steps(meter))
    grammar.feed(tokens[0])
    for token in tokens[1:]:
        assert grammar.allowed()[token], V.TOKEN_KINDS[token]
        grammar.feed(token)


def test_a_meter_token_and_a_bar_open_the_tune_and_positions_are_within_the_bar() -> None:
    tokens = V.encode([(6, 62, 2), (8, 67, 4)], "2/4")  # an 8th pickup in 2/4
    assert tokens[:4] == [V.meter_token("2/4"), V.BAR, V.pos_token(6), V.pitch_token(62)]
    assert tokens[4:7] == [V.BAR, V.pos_token(0), V.pitch_token(67)]
    assert tokens[7:] == [V.pos_token(4), V.REST]


def test_the_grammar_never_goes_back_in_time_and_alternates_position_and_pitch() -> None:
    grammar = V.Grammar(V.bar_steps("3/4"), earliest=5)
    for token in [V.meter_token("3/4"), V.BAR]:
        grammar.feed(token)
    allowed = grammar.allowed()
    positions = np.nonzero(allowed[V.POS_BASE : V.PITCH_BASE])[0]
    assert positions.min() == 5 and positions.max() == 11  # not before `earliest`, not beyond the bar
    assert allowed[V.BAR] and not allowed[V.PITCH_BASE :].any()
    grammar.feed(V.pos_token(7))
    allowed = grammar.allowed()
    assert allowed[V.PITCH_BASE :].all() and allowed[V.REST] and not allowed[V.BAR]
    grammar.feed(V.REST)
    grammar.feed(V.pos_token(9))
    assert not grammar.allowed()[V.REST]  # no rest right after a rest
    grammar.feed(V.pitch_token(60))
    assert np.nonzero(grammar.allowed()[V.POS_BASE : V.PITCH_BASE])[0].tolist() == [10, 11]


def test_unplaceable_meters_and_pitches_are_refused_with_a_reason() -> None:
    with pytest.raises(V.VocabularyError, match="7/32"):
        V.encode([(0, 60, 2)], "7/32")
    with pytest.raises(V.VocabularyError, match="Pitch 20"):
        V.encode([(0, 20, 2)], "4/4")
    assert V.bar_steps("6/8") == 12 and V.bar_steps("2/2") == 16


def test_transposition_moves_only_pitches() -> None:
    tokens = np.array(V.encode([(0, 60, 4), (4, 64, 4)], "4/4"))
    moved = V.transpose(tokens, 5)
    assert V.decode(moved.tolist(), "4/4") == [(0, 65, 4), (4, 69, 4)]
    assert V.pitch_bounds(moved) == (65, 69)


def test_with_exact_set_the_next_event_starts_exactly_there_bar_lines_first() -> None:
    grammar = V.Grammar(V.bar_steps("3/4"), earliest=14, exact=14)
    for token in [V.meter_token("3/4"), V.BAR, V.pos_token(0), V.pitch_token(60)]:
        grammar.feed(token)
    allowed = grammar.allowed()
    assert allowed[V.BAR] and not allowed[V.POS_BASE : V.PITCH_BASE].any()  # 14 is in the next bar
    grammar.feed(V.BAR)
    allowed = grammar.allowed()
    assert np.nonzero(allowed)[0].tolist() == [V.pos_token(2)]  # neither a later onset nor an empty bar
    grammar.feed(V.pos_token(2))
    assert grammar.exact is None and grammar.allowed()[V.REST]  # a rest there is the decoder's choice
    grammar.feed(V.REST)
    positions = np.nonzero(grammar.allowed()[V.POS_BASE : V.PITCH_BASE])[0]
    assert positions.min() == 3 and grammar.allowed()[V.BAR]  # then free again
