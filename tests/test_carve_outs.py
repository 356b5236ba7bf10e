"""Carve-outs of a train split, their ratings hidden as eval's are."""

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import carve_outs
from contract import features


def _data(users: list[int], movies: list[int], positions: list[int],
          histories: list[list[int]], ratings: list[list[float]]) -> dict:
  return {
      features.USER_INDEX: tf.constant(users, tf.int64),
      features.MOVIE_INDEX: tf.constant(movies, tf.int64),
      features.SEQUENCE_POSITION: tf.constant(positions, tf.int64),
      features.HISTORY_INDICES: tf.ragged.constant(histories, tf.int64),
      features.HISTORY_RATING_VALUES: tf.ragged.constant(ratings, tf.float32),
  }


def test_every_tenth_holds_every_tenth_example_in_stored_order():
  data = _data([0] * 25, list(range(25)), list(range(25)), [[]] * 25,
               [[]] * 25)
  assert np.flatnonzero(carve_outs.carved_out(
      data, carve_outs.EVERY_TENTH)).tolist() == [0, 10, 20]


def test_newest_tenth_holds_each_users_newest_ceil_tenth():
  # User 1 has 11 examples (2 held), stored out of order; user 2 has 3 (1).
  positions = [10, 3, 9, 0, 1, 2, 4, 5, 6, 7, 8] + [2, 0, 1]
  data = _data([1] * 11 + [2] * 3, list(range(14)), positions, [[]] * 14,
               [[]] * 14)
  held = carve_outs.carved_out(data, carve_outs.NEWEST_TENTH)
  assert np.flatnonzero(held).tolist() == [0, 2, 11]


def test_split_hides_the_carved_out_ratings_in_every_history():
  """User 0 rated movies 5, 6, 7; movie 6's example is held out.

  Its value disappears from user 0's later history, never from user 1's,
  who rated movie 6 too.
  """
  data = _data(users=[0, 0, 0, 1, 1], movies=[5, 6, 7, 6, 8],
               positions=[0, 1, 2, 0, 1],
               histories=[[], [5], [5, 6], [], [6]],
               ratings=[[], [4.0], [4.0, 2.0], [], [3.0]])
  held = np.array([False, True, False, False, False])
  hidden = carve_outs.hide_ratings(data, held)
  assert hidden[features.HISTORY_RATING_VALUES].to_list() == [
      [], [4.0], [4.0, features.UNKNOWN_RATING], [], [3.0]]


def test_split_returns_the_rest_and_the_carve_out_hidden_and_revealed():
  data = _data([0] * 20, list(range(20)), list(range(20)),
               [list(range(position)) for position in range(20)],
               [[4.0] * position for position in range(20)])
  rest, held_out, revealed = carve_outs.split(data, carve_outs.EVERY_TENTH)
  assert held_out[features.MOVIE_INDEX].numpy().tolist() == [0, 10]
  assert features.SEQUENCE_POSITION not in rest
  last = rest[features.HISTORY_RATING_VALUES][-1].numpy().tolist()
  assert [place for place, value in enumerate(last)
          if value == features.UNKNOWN_RATING] == [0, 10]
  assert held_out[features.HISTORY_RATING_VALUES][1].numpy().tolist() == (
      [features.UNKNOWN_RATING] + [4.0] * 9)
  assert revealed[features.HISTORY_RATING_VALUES][1].numpy().tolist() == (
      [4.0] * 10)


def test_an_unknown_carve_out_is_an_error():
  with pytest.raises(ValueError, match='every10'):
    carve_outs.carved_out(_data([0], [0], [0], [[]], [[]]), 'random')
