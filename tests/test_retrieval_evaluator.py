"""The retrieval evaluator: targets, exclusions, ranks from served lists, the gate."""

import numpy as np
import tensorflow as tf

from components import retrieval_evaluator
from contract import features
from contract import retrieval_metrics

MISS = retrieval_metrics.MISS


def _ratings(rows: list[tuple[int, int, int]]) -> retrieval_evaluator.Ratings:
  """(user id, movie id, earlier ratings of the user) per example."""
  users, movies, counts = zip(*rows)
  return retrieval_evaluator.Ratings(np.array(users), np.array(movies),
                                     np.array(counts))


def _example(user_id: int, movie_id: int) -> bytes:
  example = tf.train.Example()
  example.features.feature[features.USER_ID].int64_list.value.append(user_id)
  example.features.feature[features.MOVIE_ID].int64_list.value.append(movie_id)
  return example.SerializeToString()


# User 1 rated 10, 11, 12 in train and 13, then 14 held out; user 2 rated 20
# in train and 21 held out.
TRAIN = _ratings([(1, 10, 0), (2, 20, 0), (1, 11, 1), (1, 12, 2)])
HELD_OUT = _ratings([(1, 14, 4), (2, 21, 1), (1, 13, 3)])
HELD_OUT_EXAMPLES = [_example(1, 14), _example(2, 21), _example(1, 13)]


def test_the_target_is_each_users_latest_held_out_rating():
  np.testing.assert_array_equal(
      retrieval_evaluator.latest_per_user(HELD_OUT), [0, 1])


def test_earlier_movies_are_the_users_own_before_the_target():
  earlier = retrieval_evaluator.EarlierMovies(
      retrieval_evaluator.Ratings.concatenate([TRAIN, HELD_OUT]))
  assert sorted(earlier.of(1, 4)) == [10, 11, 12, 13]
  assert sorted(earlier.of(1, 2)) == [10, 11]
  assert sorted(earlier.of(2, 1)) == [20]
  assert earlier.of(3, 5).size == 0


def test_requests_exclude_every_earlier_movie_including_held_out_ones():
  targets = retrieval_evaluator.held_out_targets(TRAIN, HELD_OUT,
                                                 HELD_OUT_EXAMPLES)
  np.testing.assert_array_equal(targets.movie_ids, [14, 21])
  requests = [tf.train.Example.FromString(r) for r in targets.requests]
  excluded = [sorted(r.features.feature[
      features.EXCLUDED_MOVIE_IDS].int64_list.value) for r in requests]
  assert excluded == [[10, 11, 12, 13], [20]]
  assert requests[0].features.feature[features.MOVIE_ID].int64_list.value == [
      14]


def test_examples_at_rows_are_read_splits_examples_at_those_rows(
    tmp_path, monkeypatch):
  # Batches of 3 over two files, so the rows fall in several batches.
  monkeypatch.setattr(retrieval_evaluator, '_READ_BATCH', 3)
  for name, users in (('a.gz', range(0, 4)), ('b.gz', range(4, 9))):
    with tf.io.TFRecordWriter(str(tmp_path / name), 'GZIP') as writer:
      for user in users:
        example = tf.train.Example.FromString(_example(user, 100 + user))
        example.features.feature[
            features.USER_RATING_COUNT].int64_list.value.append(0)
        writer.write(example.SerializeToString())
  ratings, serialized = retrieval_evaluator.read_split(str(tmp_path),
                                                       keep_examples=True)
  rows = np.array([7, 2, 3, 7, 8])
  found = retrieval_evaluator.examples_at(str(tmp_path), rows)
  assert sorted(found) == [2, 3, 7, 8]
  assert [found[row] for row in rows] == [serialized[row] for row in rows]
  np.testing.assert_array_equal(ratings.user_ids, range(9))
  chunks = list(retrieval_evaluator.examples_in_chunks(str(tmp_path), rows, 3))
  assert [list(chunk) for chunk in chunks] == [[2, 3, 7], [8]]
  assert [chunk[row] for chunk in chunks for row in chunk] == [
      serialized[row] for row in (2, 3, 7, 8)]


def test_ranks_are_positions_in_the_served_lists_and_misses_are_marked():
  top_movies = np.array([[5, 7, 9], [5, 7, 9], [5, 7, 9]])
  top_scores = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0],
                         [3.0, -np.inf, -np.inf]])
  assert retrieval_evaluator.ranks_in_top_lists(
      top_movies, top_scores, np.array([7, 4, 9])) == [1, MISS, MISS]


def test_popularity_ranks_by_train_count_without_earlier_movies():
  train = _ratings([(1, 10, 0), (2, 10, 0), (3, 10, 0), (2, 11, 1),
                    (3, 11, 1), (3, 12, 2), (1, 13, 1)])
  targets = retrieval_evaluator.Targets(
      requests=[], movie_ids=np.array([12, 11, 99]),
      excluded_movie_ids=[np.array([10, 13]), np.array([]), np.array([])])
  # Counts: 10 -> 3, 11 -> 2, 12 -> 1, 13 -> 1 (ties go to the lower id).
  assert retrieval_evaluator.popularity_ranks(train, targets) == [1, 1, MISS]


def test_the_gate_compares_hr_at_50_with_popularity():
  metrics = {'hr@50': 0.30, retrieval_evaluator.POPULARITY: {'hr@50': 0.32}}
  assert retrieval_evaluator.is_blessed(metrics, -0.05)
  assert not retrieval_evaluator.is_blessed(metrics, 0.0)
