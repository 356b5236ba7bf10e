"""Tests for contract/retrieval_metrics.py on hand-computed ranks."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from contract import retrieval_metrics

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rank_counts_higher_scores_only():
  scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
  # Only 0.9 and 0.7 beat 0.5.
  assert retrieval_metrics.target_rank(scores, 2, []) == 2
  assert retrieval_metrics.target_rank(scores, 1, []) == 0
  assert retrieval_metrics.target_rank(scores, 0, []) == 4


def test_rank_leaves_out_excluded_candidates():
  scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
  # 0.9 is excluded; 0.1 is excluded but was behind anyway.
  assert retrieval_metrics.target_rank(scores, 2, {1, 0}) == 1
  assert retrieval_metrics.target_rank(scores, 2, np.array([1, 3])) == 0


def test_ties_go_to_the_lower_index():
  scores = np.array([1., 2., 1., 1., 2.])
  # Ahead of index 2: both 2s and the tied index 0, not the tied index 3.
  assert retrieval_metrics.target_rank(scores, 2, []) == 3
  assert retrieval_metrics.target_rank(scores, 0, []) == 2
  assert retrieval_metrics.target_rank(scores, 3, []) == 4
  assert retrieval_metrics.target_rank(scores, 4, []) == 1
  assert retrieval_metrics.target_rank(scores, 2, [0]) == 2


def test_ties_rank_as_a_stable_descending_sort():
  rng = np.random.default_rng(0)
  scores = rng.integers(0, 4, size=(20, 30)).astype(float)
  targets = rng.integers(0, 30, size=20)
  expected = [list(np.argsort(-row, kind='stable')).index(target)
              for row, target in zip(scores, targets)]
  np.testing.assert_array_equal(
      retrieval_metrics.target_ranks(scores, targets, [[]] * 20), expected)


def test_matrix_ranks_each_row_with_its_own_exclusions():
  scores = np.array([[0.1, 0.9, 0.5],
                     [0.8, 0.2, 0.4],
                     [0.3, 0.3, 0.3]])
  ranks = retrieval_metrics.target_ranks(scores, [2, 1, 2], [[1], [], [0]])
  np.testing.assert_array_equal(ranks, [0, 2, 1])
  assert ranks.dtype.kind == 'i'


def test_excluded_target_is_an_error():
  with pytest.raises(ValueError, match='rows \\[1\\]'):
    retrieval_metrics.target_ranks(np.zeros((2, 3)), [0, 1], [[1], [1]])


def test_mismatched_shapes_are_an_error():
  with pytest.raises(ValueError, match='matrix'):
    retrieval_metrics.target_ranks(np.zeros(3), [0], [[]])
  with pytest.raises(ValueError, match='as many targets'):
    retrieval_metrics.target_ranks(np.zeros((2, 3)), [0], [[]])


def test_metrics_match_hand_computed_values():
  # Ranks 0, 3, 9, 10, 49, 50, 99, 100 and two misses.
  ranks = [0, 3, 9, 10, 49, 50, 99, 100, None, -1]
  results = retrieval_metrics.metrics(ranks)
  assert results == {
      'hr@10': pytest.approx(0.3),
      'hr@50': pytest.approx(0.5),
      'hr@100': pytest.approx(0.7),
      'ndcg@10': pytest.approx(
          (1 / math.log2(2) + 1 / math.log2(5) + 1 / math.log2(11)) / 10),
  }


def test_metrics_accept_a_numpy_array():
  results = retrieval_metrics.metrics(np.array([1, -1]))
  assert results['hr@10'] == 0.5
  assert results['ndcg@10'] == pytest.approx(0.5 / math.log2(3))


def test_curve_steps_at_each_rank_and_agrees_with_the_metrics():
  ranks = [0, 2, 2, 150, None]
  curve = retrieval_metrics.hit_rate_curve(ranks)
  assert len(curve) == 100
  assert curve[:4] == [[1, 0.2], [2, 0.2], [3, 0.6], [4, 0.6]]
  assert curve[-1] == [100, 0.6]
  results = retrieval_metrics.metrics(ranks)
  for k in retrieval_metrics.HIT_RATE_CUTOFFS:
    assert curve[k - 1] == [k, results[f'hr@{k}']]


def test_curve_length_follows_max_k():
  assert retrieval_metrics.hit_rate_curve([0, 1], max_k=2) == [[1, 0.5],
                                                               [2, 1.0]]


@pytest.mark.parametrize('ranks', [[], [0, -2], np.array([0, -2]),
                                   np.zeros((2, 2), np.int64)])
def test_invalid_ranks_are_an_error(ranks):
  with pytest.raises(ValueError):
    retrieval_metrics.metrics(ranks)


def test_import_does_not_load_tensorflow():
  loaded = subprocess.run(
      [sys.executable, '-c',
       'import sys; from contract import retrieval_metrics; '
       'print("tensorflow" in sys.modules)'],
      capture_output=True, text=True, check=True,
      cwd=REPO_ROOT)
  assert loaded.stdout.strip() == 'False'


def test_per_user_gains_average_to_the_metrics():
  ranks = [0, 3, retrieval_metrics.MISS, 12, None, 60]
  figures = retrieval_metrics.metrics(ranks)
  for name, value in figures.items():
    assert np.mean(retrieval_metrics.per_user_gains(ranks, name)) == (
        pytest.approx(value))
  np.testing.assert_allclose(
      retrieval_metrics.per_user_gains(ranks, 'ndcg@10'),
      [1.0, 1 / math.log2(5), 0, 0, 0, 0])
  with pytest.raises(ValueError, match='hr@K or ndcg@K'):
    retrieval_metrics.per_user_gains(ranks, 'mrr@10')


def test_paired_interval_brackets_the_difference_and_excludes_zero_when_clear():
  rng = np.random.default_rng(1)
  baseline = rng.integers(0, 40, size=2000)
  better = np.maximum(baseline - 5, 0)
  low, high = retrieval_metrics.paired_difference_ci95(better, baseline,
                                                       'hr@10')
  difference = np.mean(better < 10) - np.mean(baseline < 10)
  assert 0 < low <= difference <= high
  assert retrieval_metrics.paired_difference_ci95(
      baseline, baseline, 'ndcg@10') == (0.0, 0.0)


def test_paired_interval_straddles_zero_for_a_reshuffle():
  rng = np.random.default_rng(2)
  ranks = rng.integers(0, 40, size=2000)
  low, high = retrieval_metrics.paired_difference_ci95(
      rng.permutation(ranks), ranks, 'hr@10')
  assert low < 0 < high


def test_paired_interval_needs_the_same_users():
  with pytest.raises(ValueError, match='one per user'):
    retrieval_metrics.paired_difference_ci95([1, 2], [1, 2, 3], 'hr@10')
