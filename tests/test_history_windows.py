"""History vectors of sequence chunks equal those of one example per row."""

import numpy as np
import tensorflow as tf

from models import history_windows
from models import pooling
from models import retrieval_sequences


def test_chunk_windows_give_each_target_the_vectors_of_its_own_history():
  rng = np.random.default_rng(0)
  history_length, decays, newest = 5, (1.0, 0.5, 0.0), 2
  users, positions, movies, histories = [], [], [], []
  for user, length in enumerate((1, 7, 12, 3)):
    sequence = rng.integers(0, 20, size=length).tolist()
    for position, movie in enumerate(sequence):
      users.append(user)
      positions.append(position)
      movies.append(movie)
      histories.append(sequence[max(0, position - history_length):position])
  history = tf.ragged.constant(histories, dtype=tf.int64,
                               row_splits_dtype=tf.int64)
  chunks = retrieval_sequences.build_chunks(
      np.array(users), np.array(positions), np.array(movies), [history],
      trained=np.ones(len(users), bool), history_length=history_length,
      chunk_length=4)
  embedding = tf.keras.layers.Embedding(20, 3)

  is_target = chunks.examples != retrieval_sequences.NO_EXAMPLE
  rows = chunks.examples[is_target]
  has_movie = chunks.movies != retrieval_sequences.NO_MOVIE
  embedded = embedding(np.maximum(chunks.movies, 0)) * has_movie[..., None]
  from_chunks = history_windows.HistoryWindows(decays, newest)(
      embedded, tf.constant(is_target),
      tf.gather(history.row_lengths(), rows))
  per_example = pooling.HistoryEncoder(decays, newest)(
      embedding(tf.gather(history, rows)))

  assert len(from_chunks) == len(per_example) == len(decays) + 1
  for chunked, alone in zip(from_chunks, per_example):
    np.testing.assert_allclose(chunked, alone, rtol=1e-5, atol=1e-6)
