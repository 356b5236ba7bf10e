"""Tests for contract/splits.py against BENCHMARKS.md's rules."""

import hashlib

import pytest

from contract import splits

TRAIN = splits.TRAIN_SPLIT
EVAL = splits.EVAL_SPLIT


def _benchmark_random90(user_id: int, movie_id: int) -> str:
  """BENCHMARKS.md's formula, written out again to check the module's."""
  digest = hashlib.md5(f'{user_id}:{movie_id}'.encode()).hexdigest()
  hashed = int(digest[:8], 16)
  return EVAL if hashed % 10 == 0 else TRAIN


def test_random90_matches_the_benchmark_formula():
  pairs = [(user_id, movie_id) for user_id in range(1, 6)
           for movie_id in range(1, 60)]
  assigned = [splits.random90_split(*pair) for pair in pairs]
  assert assigned == [_benchmark_random90(*pair) for pair in pairs]
  assert {TRAIN, EVAL} == set(assigned)


def test_random90_user_splits_follow_each_pair():
  movie_ids = [3, 1, 2, 40, 7]
  assert splits.user_splits(splits.RANDOM90, 5, movie_ids) == [
      _benchmark_random90(5, movie_id) for movie_id in movie_ids]


@pytest.mark.parametrize('num_ratings, num_eval', [
    (1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3)])
def test_temporal_eval_count_rounds_up(num_ratings, num_eval):
  assert splits.temporal_eval_count(num_ratings) == num_eval


def test_temporal_puts_the_last_ratings_in_eval():
  ordered_movie_ids = list(range(100, 111))
  assert splits.user_splits(splits.TEMPORAL, 1, ordered_movie_ids) == (
      [TRAIN] * 9 + [EVAL] * 2)


def test_temporal_single_rating_goes_to_eval():
  assert splits.user_splits(splits.TEMPORAL, 1, [5]) == [EVAL]


def test_last1_holds_out_only_the_last_rating():
  assert splits.user_splits(splits.LAST1, 1, [7, 3, 9]) == [TRAIN, TRAIN, EVAL]


def test_unknown_protocol_is_an_error():
  with pytest.raises(ValueError, match='random50'):
    splits.user_splits('random50', 1, [1])
