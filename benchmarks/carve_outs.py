"""Validation carve-outs of a train split, built under BENCHMARKS.md's rule.

Settings are chosen on a carve-out of the train split, never on eval. For the
carve-out to stand for eval, it must be made the way eval is: its ratings'
values are unknown (features.UNKNOWN_RATING) in every example's history, as
the ingestion writes an eval rating's. Two kinds, one per protocol's eval:
- EVERY_TENTH: every 10th example in the split's stored order, which the
  ingestion's hash-keyed shuffle makes a random tenth, as random90's eval is;
- NEWEST_TENTH: each user's newest ceil(n / 10) of their n train examples,
  as temporal's eval takes the newest tenth of all their ratings. A random
  carve-out flatters a model on temporal (issue 16's eleventh round).
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from contract import features
from contract import splits
from models import training

EVERY_TENTH = 'every10'
NEWEST_TENTH = 'newest10'
CARVE_OUTS = (EVERY_TENTH, NEWEST_TENTH)
EVERY = 10


def carved_out(data: training.Features, carve_out: str) -> np.ndarray:
  """Which examples the carve-out holds, as a boolean array.

  NEWEST_TENTH reads each example's features.SEQUENCE_POSITION
  (training.transform_in_memory's `with_positions`).
  """
  count = training.num_examples(data)
  if carve_out == EVERY_TENTH:
    return np.arange(count) % EVERY == 0
  if carve_out != NEWEST_TENTH:
    raise ValueError(f'Unknown carve-out {carve_out!r}; expected one of '
                     f'{CARVE_OUTS}')
  users = data[features.USER_INDEX].numpy()
  order = np.lexsort((data[features.SEQUENCE_POSITION].numpy(), users))
  sorted_users = users[order]
  group_starts = np.flatnonzero(
      np.r_[True, sorted_users[1:] != sorted_users[:-1]])
  group_sizes = np.diff(np.r_[group_starts, count])
  rank = np.arange(count) - np.repeat(group_starts, group_sizes)
  held_counts = [splits.temporal_eval_count(int(size)) for size in group_sizes]
  held = np.empty(count, bool)
  held[order] = rank >= np.repeat(group_sizes - held_counts, group_sizes)
  return held


def hide_ratings(data: training.Features,
                 hidden: np.ndarray) -> training.Features:
  """`data` with the hidden examples' ratings unknown in every history.

  A history place is hidden when its (user, movie) pair is a hidden
  example's: the user is the example's own, the movie the place's.
  """
  users = data[features.USER_INDEX].numpy()
  movies = data[features.MOVIE_INDEX].numpy()
  history = data[features.HISTORY_INDICES]
  width = int(max(movies.max(), history.flat_values.numpy().max())) + 1
  hidden_pairs = users[hidden] * width + movies[hidden]
  place_pairs = (np.repeat(users, history.row_lengths().numpy()) * width +
                 history.flat_values.numpy())
  ratings = data[features.HISTORY_RATING_VALUES]
  values = ratings.flat_values.numpy().copy()
  values[np.isin(place_pairs, hidden_pairs)] = features.UNKNOWN_RATING
  return {**data, features.HISTORY_RATING_VALUES:
          ratings.with_flat_values(tf.constant(values))}


class Split(NamedTuple):
  """A train split cut in two, as eval is cut from the data."""
  # What to train on, the carve-out's ratings hidden in its histories.
  rest: training.Features
  # What to choose by, its own earlier carved-out ratings hidden.
  held_out: training.Features
  # The same examples with every earlier rating known, as at serving.
  held_out_revealed: training.Features


def split(data: training.Features, carve_out: str) -> Split:
  """The rest and the carve-out, with the carve-out's ratings hidden as eval's are.

  features.SEQUENCE_POSITION, if present, is dropped: no model reads it.
  """
  held = carved_out(data, carve_out)
  revealed = {name: value for name, value in data.items()
              if name != features.SEQUENCE_POSITION}
  hidden = hide_ratings(revealed, held)
  positions = tf.range(training.num_examples(data), dtype=tf.int64)
  return Split(training.take(hidden, positions[~held]),
               training.take(hidden, positions[held]),
               training.take(revealed, positions[held]))
