"""``make eval`` says why the classifier two-sample test cannot run on a corpus with few held-out pieces."""

from __future__ import annotations

from model.evaluate import two_sample_skipped
from model.two_sample import FOLDS


def test_too_few_pieces_for_grouped_folds_give_the_reason_and_enough_pieces_run_the_test():
    reason = two_sample_skipped(2 * FOLDS - 1)
    assert reason is not None and f"only {2 * FOLDS - 1} held-out" in reason and str(2 * FOLDS) in reason
    assert two_sample_skipped(2 * FOLDS) is None
    assert two_sample_skipped(56) is None
