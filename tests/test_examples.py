"""Tests for components/ingestion/examples.py: features see only the past."""

import random

import numpy as np
import pytest

from components.ingestion import examples
from components.ingestion import rules
from contract import features
from contract import splits


def _rating(movie_id: int, timestamp: int, user_id: int = 1) -> rules.Rating:
  return rules.Rating(user_id, movie_id, 4, timestamp, line=movie_id, text='')


def test_history_is_strictly_earlier_with_ties_ordered_by_movie_id():
  ratings = [_rating(30, 100), _rating(10, 100), _rating(20, 50),
             _rating(5, 200)]
  rows = examples.user_examples(ratings, history_length=10,
                                split_protocol=splits.TEMPORAL)
  assert [(row.movie_id, row.history) for row in rows] == [
      (20, []), (10, [20]), (30, [20, 10]), (5, [20, 10, 30])]


def test_history_is_truncated_to_the_most_recent_with_the_latest_last():
  ratings = [_rating(movie_id, 1000 + movie_id) for movie_id in range(1, 7)]
  rows = examples.user_examples(ratings, history_length=3,
                                split_protocol=splits.TEMPORAL)
  assert [row.history for row in rows] == [
      [], [1], [1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]


def test_counts_and_recency_come_from_earlier_ratings():
  ratings = [_rating(1, 100), _rating(2, 160), _rating(3, 160),
             _rating(4, 1000)]
  rows = examples.user_examples(ratings, history_length=50,
                                split_protocol=splits.TEMPORAL)
  assert [row.user_rating_count for row in rows] == [0, 1, 2, 3]
  assert [row.seconds_since_previous for row in rows] == [0, 60, 0, 840]


def test_no_feature_depends_on_the_example_or_later_ratings():
  shuffled = [_rating(movie_id, timestamp) for movie_id, timestamp in
              zip(random.Random(0).sample(range(1, 200), 40),
                  random.Random(1).choices(range(5), k=40))]
  full = examples.user_examples(shuffled, 5, splits.RANDOM90)
  for position, row in enumerate(full):
    earlier = [rules.Rating(1, r.movie_id, r.rating, r.timestamp, 0, '')
               for r in full[:position + 1]]
    assert examples.user_examples(earlier, 5, splits.RANDOM90)[-1] == row


def test_rows_carry_the_rating_and_the_temporal_split():
  ratings = [_rating(movie_id, movie_id) for movie_id in range(1, 12)]
  rows = examples.user_examples(ratings, 50, splits.TEMPORAL)
  assert [row.split for row in rows] == (
      [splits.TRAIN_SPLIT] * 9 + [splits.EVAL_SPLIT] * 2)
  assert (rows[0].user_id, rows[0].movie_id, rows[0].rating,
          rows[0].timestamp) == (1, 1, 4, 1)


@pytest.mark.parametrize('protocol', [splits.RANDOM90, splits.TEMPORAL,
                                      splits.LAST1])
def test_an_eval_ratings_value_is_unknown_in_every_later_history(protocol):
  ratings = [rules.Rating(1, movie_id, movie_id % 5 + 1, movie_id, 0, '')
             for movie_id in range(1, 41)]
  rows = examples.user_examples(ratings, 50, protocol)
  eval_movies = {row.movie_id for row in rows
                 if row.split == splits.EVAL_SPLIT}
  assert eval_movies
  last = rows[-1]
  assert last.history_ratings == [
      features.UNKNOWN_RATING if movie_id in eval_movies else movie_id % 5 + 1
      for movie_id in last.history]


def test_ratings_of_several_users_are_an_error():
  with pytest.raises(ValueError, match='one user'):
    examples.user_examples([_rating(1, 1, user_id=1),
                            _rating(2, 1, user_id=2)], 5, splits.TEMPORAL)


def _raters(pairs: list[tuple[int, int]]) -> examples.MovieRaters:
  """One movie's raters from (timestamp, user_id) pairs in any order."""
  timestamps, user_ids = zip(*pairs)
  (movie,) = examples.raters_by_columns(
      np.zeros(len(pairs), np.int64), np.array(timestamps),
      np.array(user_ids)).values()
  return movie


def _columns(movie: examples.MovieRaters) -> tuple[list[int], list[int]]:
  return movie.timestamps.tolist(), movie.user_ids.tolist()


def test_movie_context_counts_and_lists_only_earlier_seconds_raters():
  movie = _raters([(300, 9), (100, 7), (200, 3), (100, 2), (300, 1)])
  assert _columns(movie) == ([100, 100, 200, 300, 300], [2, 7, 3, 1, 9])
  assert [examples.movie_context(movie, timestamp, raters_length=50)
          for timestamp in (100, 200, 300, 301)] == [
      examples.MovieContext(0, ()), examples.MovieContext(2, (2, 7)),
      examples.MovieContext(3, (2, 7, 3)),
      examples.MovieContext(5, (2, 7, 3, 1, 9))]


def test_movie_context_keeps_the_newest_raters_with_the_latest_last():
  movie = _raters(
      [(timestamp, timestamp // 10) for timestamp in range(10, 70, 10)])
  assert examples.movie_context(movie, 60, raters_length=3) == (
      examples.MovieContext(5, (3, 4, 5)))


def test_raters_by_movie_groups_and_orders_each_movie():
  ratings = [rules.Rating(user_id, movie_id, 3, timestamp, 0, '')
             for user_id, movie_id, timestamp in ((1, 5, 20), (2, 5, 10),
                                                  (1, 6, 30))]
  assert {movie_id: _columns(movie) for movie_id, movie in
          examples.raters_by_movie(ratings).items()} == {
      5: ([10, 20], [2, 1]), 6: ([30], [1])}


def test_a_movie_without_raters_has_no_context():
  assert examples.movie_context(examples.NO_RATERS, 100, raters_length=50) == (
      examples.MovieContext(0, ()))


@pytest.mark.parametrize('count, label', [
    (0, '0-9'), (9, '0-9'), (10, '10-49'), (49, '10-49'), (50, '50-199'),
    (199, '50-199'), (200, '200+'), (5000, '200+')])
def test_bucket_label_names_the_range_of_the_count(count, label):
  assert examples.bucket_label(count, (10, 50, 200)) == label
