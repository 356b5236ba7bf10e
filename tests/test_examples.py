"""Tests for components/ingestion/examples.py: features see only the past."""

import random

import pytest

from components.ingestion import examples
from components.ingestion import rules
from contract import splits


def _rating(movie_id: int, timestamp: int, user_id: int = 1) -> rules.Rating:
  return rules.Rating(user_id, movie_id, 4, timestamp, line=movie_id, text='')


def test_history_is_strictly_earlier_with_ties_ordered_by_movie_id():
  ratings = [_rating(30, 100), _rating(10, 100), _rating(20, 50),
             _rating(5, 200)]
  rows = examples.user_examples(ratings, history_length=10,
                                split_protocol=splits.TEMPORAL)
  assert [(row.movie_id, row.history) for row in rows] == [
      (20, ''), (10, '20'), (30, '20 10'), (5, '20 10 30')]


def test_history_is_truncated_to_the_most_recent_with_the_latest_last():
  ratings = [_rating(movie_id, 1000 + movie_id) for movie_id in range(1, 7)]
  rows = examples.user_examples(ratings, history_length=3,
                                split_protocol=splits.TEMPORAL)
  assert [row.history for row in rows] == [
      '', '1', '1 2', '1 2 3', '2 3 4', '3 4 5']


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


def test_ratings_of_several_users_are_an_error():
  with pytest.raises(ValueError, match='one user'):
    examples.user_examples([_rating(1, 1, user_id=1),
                            _rating(2, 1, user_id=2)], 5, splits.TEMPORAL)


def test_earlier_count_does_not_count_same_second_ratings():
  ordered = [100, 100, 200, 300, 300]
  assert [examples.earlier_count(ordered, timestamp)
          for timestamp in (300, 100, 100, 200, 300)] == [3, 0, 0, 2, 3]


@pytest.mark.parametrize('count, label', [
    (0, '0-9'), (9, '0-9'), (10, '10-49'), (49, '10-49'), (50, '50-199'),
    (199, '50-199'), (200, '200+'), (5000, '200+')])
def test_bucket_label_names_the_range_of_the_count(count, label):
  assert examples.bucket_label(count, (10, 50, 200)) == label
