"""Tests for benchmarks/baselines.py on a tiny hand-made ratings list."""

import math

import numpy as np
import pytest

from benchmarks import baselines
from contract import splits

Rating = baselines.Rating

# User 1 rates in one batch (same second), listed out of movie_id order, so
# the (timestamp, movie_id) order differs from the input order.
RATINGS = [
    Rating(1, 30, 5, 100), Rating(1, 10, 4, 100), Rating(1, 20, 5, 100),
    Rating(1, 40, 4, 50), Rating(1, 50, 5, 200), Rating(1, 60, 4, 300),
    Rating(1, 70, 5, 400), Rating(1, 80, 4, 500), Rating(1, 90, 5, 600),
    Rating(1, 11, 4, 700), Rating(1, 12, 5, 700),
    Rating(2, 10, 2, 10), Rating(2, 20, 1, 20), Rating(2, 30, 2, 30),
    Rating(3, 10, 3, 5),
]


def test_quality_matches_hand_computed_values():
  actual = np.array([5., 4., 1., 3.])
  predicted = np.array([4.6, 3.2, 1.0, 3.5])
  quality = baselines.quality(actual, predicted)
  # Errors 0.4, 0.8, 0, 0.5.
  assert quality['rmse'] == pytest.approx(math.sqrt(1.05 / 4))
  assert quality['mae'] == pytest.approx(1.7 / 4)
  # Liked (>= 4) scores 4.6, 3.2 against 1.0, 3.5: 3 of 4 pairs ordered.
  assert quality['auc_liked'] == pytest.approx(0.75)
  # Stars 5, 3, 1, 4 (3.5 rounds up): two right.
  assert quality['stars_accuracy'] == pytest.approx(0.5)


def test_stars_round_to_the_rating_scale():
  np.testing.assert_array_equal(
      baselines.stars(np.array([0.2, 1.49, 1.5, 2.5, 4.51, 5.7])),
      [1, 1, 2, 3, 5, 5])


def test_temporal_split_follows_the_project_rules():
  train, eval_ = baselines.split_ratings(RATINGS, splits.TEMPORAL)
  # ceil(11 / 10) = 2, ceil(3 / 10) = 1, ceil(1 / 10) = 1.
  assert len(eval_) == sum(splits.temporal_eval_count(n) for n in (11, 3, 1))
  assert len(train) + len(eval_) == len(RATINGS)
  # User 1's last two by (timestamp, movie_id) are movies 11 and 12.
  assert {(r.user_id, r.movie_id) for r in eval_} == {
      (1, 11), (1, 12), (2, 30), (3, 10)}


def test_random90_split_follows_the_project_rules():
  train, eval_ = baselines.split_ratings(RATINGS, splits.RANDOM90,
                                         baselines.FILE_ORDER)
  expected_eval = [r for r in RATINGS if splits.random90_split(
      r.user_id, r.movie_id) == splits.EVAL_SPLIT]
  assert eval_ == expected_eval
  assert len(train) == len(RATINGS) - len(expected_eval)


def test_time_order_lists_each_users_ratings_by_time_then_movie():
  train, _ = baselines.split_ratings(RATINGS, splits.TEMPORAL,
                                     baselines.TIME_ORDER)
  assert [(r.user_id, r.movie_id) for r in train] == [
      (1, 40), (1, 10), (1, 20), (1, 30), (1, 50), (1, 60), (1, 70), (1, 80),
      (1, 90), (2, 10), (2, 20)]


def test_file_order_keeps_the_input_order():
  train, _ = baselines.split_ratings(RATINGS, splits.TEMPORAL,
                                     baselines.FILE_ORDER)
  assert train == [r for r in RATINGS if r in train]
  assert train[:3] == RATINGS[:3]


def test_unknown_order_is_an_error():
  with pytest.raises(ValueError, match='shuffled'):
    baselines.split_ratings(RATINGS, splits.TEMPORAL, 'shuffled')


def test_mean_predicts_the_train_mean():
  train, eval_ = baselines.split_ratings(RATINGS, splits.TEMPORAL)
  result = baselines.evaluate(baselines.MEAN, train, eval_)
  train_mean = np.mean([r.rating for r in train])
  actual = np.array([r.rating for r in eval_], dtype=float)
  assert result['rmse'] == pytest.approx(
      math.sqrt(np.mean((actual - train_mean) ** 2)))
  assert result['auc_liked'] == 0.5
  assert result['fit_s'] >= 0 and result['predict_s'] >= 0


def test_baseline_only_learns_user_biases():
  train, eval_ = baselines.split_ratings(RATINGS, splits.TEMPORAL)
  mean = baselines.evaluate(baselines.MEAN, train, eval_)
  baseline = baselines.evaluate(baselines.BASELINE, train, eval_)
  # User 1 rates high and user 2 low: biases must beat the global mean.
  assert baseline['rmse'] < mean['rmse']
  assert baseline['auc_liked'] > 0.5
  assert set(baseline) == {'rmse', 'mae', 'auc_liked', 'stars_accuracy',
                           'fit_s', 'predict_s'}


def test_unknown_model_is_an_error():
  with pytest.raises(ValueError, match='knn'):
    baselines.evaluate('knn', RATINGS[:3], RATINGS[3:])
