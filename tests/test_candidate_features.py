"""The ranking stage's candidate features: counted right, and from the past only."""

import numpy as np
import pytest
import tensorflow as tf

from models import candidate_features

DAY = candidate_features.SECONDS_PER_DAY


def _log(seed: int = 0, ratings: int = 4000):
  """A random rating log: users, movies, times and each user's positions."""
  rng = np.random.default_rng(seed)
  users = rng.integers(0, 40, ratings)
  movies = rng.integers(1, 120, ratings)
  times = np.sort(rng.integers(10 * DAY, 70 * DAY, ratings))
  positions = np.zeros(ratings, np.int64)
  for user in np.unique(users):
    rows = np.flatnonzero(users == user)
    positions[rows] = np.arange(len(rows))
  return users, movies, times, positions


def _features(tables, history, timestamps, candidates, scores):
  return candidate_features.CandidateFeatures(tables)(
      tf.ragged.constant(history, dtype=tf.int64),
      tf.constant(timestamps, tf.int64), tf.constant(candidates, tf.int64),
      tf.constant(scores, tf.float32)).numpy()


@pytest.mark.parametrize('first_id', [5, 290_005],
                         ids=['small ids', 'ml-32m-sized ids'])
def test_the_counts_are_those_of_the_ratings_before_the_request(first_id):
  # User 1 rates 5, 6, 7 on days 1-3; user 2 rates 5, then 7 on days 4-5
  # (ids counted from first_id: the CSV releases' reach 292,757).
  offset = first_id - 5
  tables = candidate_features.rating_tables(
      user_ids=np.array([1, 1, 1, 2, 2]),
      movie_ids=np.array([5, 6, 7, 5, 7]) + offset,
      timestamps=np.array([1, 2, 3, 4, 5]) * DAY,
      positions=np.array([0, 1, 2, 0, 1]))
  x = _features(tables, [[5 + offset]], [5 * DAY],
                [[7 + offset, 6 + offset, 9 + offset]], [[2.0, 1.0, -np.inf]])
  assert x.shape == (1, 3, candidate_features.WIDTH)
  # Retrieval: score, gap to the best, log(1 + rank); an empty slot sits
  # 50 below the best.
  np.testing.assert_allclose(x[0, :, 0], [2.0, 1.0, -48.0])
  np.testing.assert_allclose(x[0, :, 1], [0.0, -1.0, -50.0])
  np.testing.assert_allclose(x[0, :, 2], np.log1p([0, 1, 2]))
  # Popularity before day 5: movie 7 once (day 3, user 2's is at day 5),
  # movie 6 once, movie 9 never; 7's age is 2 days.
  np.testing.assert_allclose(x[0, :, 5], np.log1p([1, 1, 0]))
  np.testing.assert_allclose(x[0, 0, 6], np.log1p(2.0), rtol=1e-6)
  assert x[0, 2, 6] == 0
  # Sequence: 7 followed 5 once before day 5 (user 1's), user 2's pair
  # completes at day 5 itself, so it does not count; 6 followed 5 once.
  np.testing.assert_allclose(x[0, :, 7], np.log1p([1, 1, 0]))
  np.testing.assert_allclose(x[0, :, 8:12], 0.0)
  # Shares: each count over movie 5's two ratings before day 5.
  np.testing.assert_allclose(x[0, :, 12], [0.5, 0.5, 0.0])


def test_a_rating_at_or_after_the_request_moves_no_feature():
  users, movies, times, positions = _log()
  request_time = int(np.median(times))
  before = times < request_time
  rng = np.random.default_rng(1)
  changed_movies = movies.copy()
  changed_movies[~before] = rng.integers(1, 120, int((~before).sum()))
  history = [movies[(users == 3) & before][-8:].tolist(),
             movies[(users == 4) & before][-2:].tolist()]
  candidates = rng.integers(1, 120, (2, 50))
  scores = rng.normal(size=(2, 50))
  original, changed = (
      _features(candidate_features.rating_tables(users, movie_ids, times,
                                                 positions),
                history, [request_time] * 2, candidates, scores)
      for movie_ids in (movies, changed_movies))
  np.testing.assert_array_equal(original, changed)
  # And the later ratings do count for a request after them.
  later = [int(times.max()) + 1] * 2
  assert not np.array_equal(*(
      _features(candidate_features.rating_tables(users, movie_ids, times,
                                                 positions),
                history, later, candidates, scores)
      for movie_ids in (movies, changed_movies)))


def test_an_unknown_movie_counts_as_never_rated():
  users, movies, times, positions = _log()
  tables = candidate_features.rating_tables(users, movies, times, positions)
  x = _features(tables, [[1, 10_000, -3]], [int(times.max()) + 1],
                [[10_000, -1, 2]], [[1.0, 0.5, 0.2]])
  np.testing.assert_array_equal(x[0, :2, 3:], 0.0)
  assert np.isfinite(x).all()


def test_ids_or_times_too_large_for_the_keys_are_refused():
  with pytest.raises(candidate_features.TableRangeError, match='movie ids'):
    candidate_features.rating_tables(np.array([1]), np.array([1 << 32]),
                                     np.array([1]), np.array([0]))
  with pytest.raises(candidate_features.TableRangeError, match='timestamps'):
    candidate_features.rating_tables(np.array([1]), np.array([1]),
                                     np.array([1 << 32]), np.array([0]))
