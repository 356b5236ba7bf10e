"""The train split laid out as chunks of users' sequences."""

import numpy as np
import pytest
import tensorflow as tf

from models import retrieval_sequences

HISTORY_LENGTH = 3


def _examples(sequences: dict[int, list[int]], held_back: set[tuple[int, int]]
              ) -> dict[str, np.ndarray | tf.RaggedTensor]:
  """One example per rating except the held-back (user, position) pairs.

  Held-back ratings play `random90`'s eval ratings: no example of their own,
  but in the histories of the user's later examples.
  """
  users, positions, movies, histories = [], [], [], []
  for user, movies_of_user in sequences.items():
    for position, movie in enumerate(movies_of_user):
      if (user, position) in held_back:
        continue
      users.append(user)
      positions.append(position)
      movies.append(movie)
      histories.append(
          movies_of_user[max(0, position - HISTORY_LENGTH):position])
  return {'users': np.array(users), 'positions': np.array(positions),
          'movies': np.array(movies),
          'history': tf.ragged.constant(histories, dtype=tf.int64,
                                        row_splits_dtype=tf.int64)}


SEQUENCES = {0: [5, 6, 7, 8, 9], 2: [1, 2], 1: [3, 4, 5, 6, 7, 8, 9, 1]}


def _chunks(examples: dict, trained: np.ndarray, chunk_length: int = 4,
            block: int | None = None) -> retrieval_sequences.SequenceChunks:
  """build_chunks with the histories in one block, or in blocks of `block`."""
  history = examples['history']
  block = block or len(examples['users'])
  return retrieval_sequences.build_chunks(
      examples['users'], examples['positions'], examples['movies'],
      histories=[history[start:start + block]
                 for start in range(0, len(examples['users']), block)],
      trained=trained, history_length=HISTORY_LENGTH,
      chunk_length=chunk_length)


def _targets_and_windows(chunks: retrieval_sequences.SequenceChunks
                         ) -> list[tuple[int, list[int]]]:
  """Each target's example row and the movies of the window before it."""
  found = []
  for movies, examples in zip(chunks.movies, chunks.examples):
    for place, example in enumerate(examples):
      if example != retrieval_sequences.NO_EXAMPLE:
        found.append((int(example),
                      movies[place:place + HISTORY_LENGTH].tolist()))
  return found


def test_every_trained_example_is_one_target_behind_its_own_history():
  examples = _examples(SEQUENCES, held_back={(1, 4)})
  trained = np.ones(len(examples['users']), bool)
  trained[3] = False
  chunks = _chunks(examples, trained)
  found = _targets_and_windows(chunks)
  assert sorted(example for example, _ in found) == (
      np.flatnonzero(trained).tolist())
  histories = examples['history'].to_list()
  for example, window in found:
    padding = [retrieval_sequences.NO_MOVIE] * (
        HISTORY_LENGTH - len(histories[example]))
    assert window == padding + histories[example], example


def test_a_rating_without_an_example_is_history_but_no_target():
  examples = _examples(SEQUENCES, held_back={(1, 4)})
  found = dict(_targets_and_windows(_chunks(
      examples, np.ones(len(examples['users']), bool))))
  later = np.flatnonzero((examples['users'] == 1) &
                         (examples['positions'] == 5))[0]
  assert found[later] == [5, 6, 7], 'the held-back movie 7 is in its window'
  assert len(found) == len(examples['users'])


def test_chunks_without_a_target_are_left_out():
  examples = _examples(SEQUENCES, held_back=set())
  only_user_two = examples['users'] == 2
  chunks = _chunks(examples, only_user_two, chunk_length=2)
  assert chunks.movies.shape == (len(chunks.examples), HISTORY_LENGTH + 2)
  assert np.all((chunks.examples != retrieval_sequences.NO_EXAMPLE).any(1))
  assert len(_targets_and_windows(chunks)) == 2


def test_histories_in_blocks_lay_out_the_chunks_of_one_block():
  examples = _examples(SEQUENCES, held_back={(1, 4)})
  trained = np.arange(len(examples['users'])) % 3 != 1
  whole = _chunks(examples, trained)
  for block in (1, 2, 5):
    in_blocks = _chunks(examples, trained, block=block)
    np.testing.assert_array_equal(in_blocks.movies, whole.movies)
    np.testing.assert_array_equal(in_blocks.examples, whole.examples)


# (held back, example row, its altered history): a history against a target,
# and a history against another about a movie that has no example of its own.
DISAGREEMENTS = [(set(), 3, [5, 6, 9]), ({(1, 4)}, 11, [5, 6, 2])]


@pytest.mark.parametrize('block', [None, 1, 2])
@pytest.mark.parametrize('held_back, row, history', DISAGREEMENTS)
def test_examples_that_disagree_about_the_sequence_are_refused(
    held_back, row, history, block):
  examples = _examples(SEQUENCES, held_back=held_back)
  histories = examples['history'].to_list()
  histories[row] = history
  examples['history'] = tf.ragged.constant(histories, dtype=tf.int64,
                                           row_splits_dtype=tf.int64)
  with pytest.raises(retrieval_sequences.InconsistentHistories):
    _chunks(examples, np.ones(len(examples['users']), bool), block=block)


def test_histories_longer_than_the_window_are_refused():
  examples = _examples(SEQUENCES, held_back=set())
  with pytest.raises(ValueError, match='reach back 2'):
    retrieval_sequences.build_chunks(
        examples['users'], examples['positions'], examples['movies'],
        [examples['history']], np.ones(len(examples['users']), bool),
        history_length=2, chunk_length=4)


def test_histories_of_fewer_examples_than_the_split_are_refused():
  examples = _examples(SEQUENCES, held_back=set())
  with pytest.raises(ValueError, match='histories hold 10 examples'):
    retrieval_sequences.build_chunks(
        examples['users'], examples['positions'], examples['movies'],
        [examples['history'][:10]], np.ones(len(examples['users']), bool),
        history_length=HISTORY_LENGTH, chunk_length=4)
