"""The train split as chunks of users' rating sequences, for the retrieval Trainer.

Every ingested example carries its user's newest earlier movies, so the
examples of a split between them spell out each user's sequence up to their
last example. That holds for every split protocol: in `random90` the eval
ratings in between appear in later examples' histories and are rebuilt from
them, as inputs only. The sequences are laid end to end, each preceded by
`history_length` empty places so no window reaches into another user's, and
cut into chunks of `chunk_length` target places plus the `history_length`
places before them (models/history_windows.py).
"""

import dataclasses
from typing import Iterable

import numpy as np
import tensorflow as tf

from contract import errors

# A place of a sequence that holds no movie.
NO_MOVIE = -1
# A place that is no training target.
NO_EXAMPLE = -1

# The user tower's inputs for a batch of chunks, beside each target's
# per-example user features (retrieval_training.sequence_batches).
WINDOW_MOVIES = 'window_movies'  # [chunks, history_length + chunk_length]
IS_TARGET = 'is_target'  # [chunks, chunk_length]
HISTORY_LENGTH = 'history_length'  # [targets]


class InconsistentHistories(errors.YtdnnError, ValueError):
  """Two examples of one user disagree about which movie came when."""


@dataclasses.dataclass(frozen=True)
class SequenceChunks:
  """movies: [chunks, history_length + chunk_length] movie indices or NO_MOVIE.

  examples: [chunks, chunk_length] the row of the example whose target movie
  sits at each of the last `chunk_length` places, or NO_EXAMPLE.
  """
  movies: np.ndarray
  examples: np.ndarray

  def as_features(self) -> dict[str, tf.Tensor]:
    return {'movies': tf.constant(self.movies),
            'examples': tf.constant(self.examples)}


def build_chunks(users: np.ndarray, positions: np.ndarray,
                 movies: np.ndarray, histories: Iterable[tf.RaggedTensor],
                 trained: np.ndarray, history_length: int,
                 chunk_length: int) -> SequenceChunks:
  """Lays out the examples' sequences and marks the `trained` ones as targets.

  users, positions, movies: per example, its user's index, how many ratings
  the user had before it (the raw `user_rating_count`) and its movie's index.
  histories: per example, the indices of its newest earlier movies, newest
  last, at most `history_length` of them, in consecutive blocks of examples.
  Blocks let the retrieval Trainer stream the histories, the split's largest
  feature, through the sequence one transformed chunk at a time
  (retrieval_training.streamed_histories); only the sequence is whole.
  """
  sequence_start, length = _layout(users, positions, history_length,
                                   chunk_length)
  sequence = np.full(length, NO_MOVIE, np.int64)
  target_places = sequence_start[users] + positions
  _place(sequence, target_places, movies)
  placed = 0
  for history in histories:
    rows = int(history.nrows())
    _place(sequence, *_history_places_and_movies(
        history, target_places[placed:placed + rows], history_length))
    placed += rows
  if placed != len(users):
    raise ValueError(f'the histories hold {placed} examples; the split '
                     f'{len(users)}')
  example_at = np.full(length, NO_EXAMPLE, np.int64)
  example_at[target_places[trained]] = np.flatnonzero(trained)

  starts = np.arange(0, length - history_length, chunk_length)[:, np.newaxis]
  examples = example_at[history_length + starts + np.arange(chunk_length)]
  # A batch of chunks without a target would have a NaN mean loss.
  has_target = (examples != NO_EXAMPLE).any(axis=1)
  return SequenceChunks(
      movies=sequence[starts[has_target] +
                      np.arange(history_length + chunk_length)],
      examples=examples[has_target])


def _layout(users: np.ndarray, positions: np.ndarray, history_length: int,
            chunk_length: int) -> tuple[np.ndarray, int]:
  """Per user index, the place of its sequence's first movie; and the length.

  After `history_length` empty places, each user's sequence takes
  `history_length` empty places and then a place per rating up to its last
  example's; the length makes whole chunks.
  """
  last_position = np.full(users.max() + 1, -1, np.int64)
  np.maximum.at(last_position, users, positions)
  places = np.where(last_position >= 0,
                    history_length + last_position + 1, 0)
  first_place = history_length + np.concatenate([[0], np.cumsum(places)[:-1]])
  chunks = -(-int(places.sum()) // chunk_length)
  return first_place + history_length, history_length + chunks * chunk_length


def _history_places_and_movies(history: tf.RaggedTensor,
                               target_places: np.ndarray,
                               history_length: int
                               ) -> tuple[np.ndarray, np.ndarray]:
  """Where a block's history movies go: just before their examples' targets."""
  history_lengths = history.row_lengths().numpy()
  if history_lengths.size and history_lengths.max() > history_length:
    raise ValueError(f'a history holds {history_lengths.max()} movies; the '
                     f'windows reach back {history_length}')
  example_of_history = np.repeat(np.arange(len(history_lengths)),
                                 history_lengths)
  places = (target_places - history_lengths)[example_of_history] + (
      np.arange(example_of_history.size) -
      history.row_splits.numpy()[example_of_history])
  return places, history.flat_values.numpy()


def _place(sequence: np.ndarray, places: np.ndarray,
           movies: np.ndarray) -> None:
  """Writes `movies` at `places` of the sequence, if no place gets two movies.

  A place gets two when two examples of a user disagree about it, within
  this write or against an earlier one (every movie index is >= 0).
  """
  earlier = sequence[places]
  sequence[places] = movies
  if not (np.all((earlier == NO_MOVIE) | (earlier == movies)) and
          np.array_equal(sequence[places], movies)):
    raise InconsistentHistories(
        'the examples of a user disagree about the movie at some place of '
        'their sequence: two examples share a user and user_rating_count, '
        'or a history differs from the movies rated before it')
