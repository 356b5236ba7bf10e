"""The history vectors of pooling.HistoryEncoder, for every place of a sequence at once.

The retrieval Trainer's causal pass (models/retrieval_sequences.py) feeds the
user tower chunks of users' rating sequences instead of one example per
rating. A chunk holds `chunk_length` places whose targets it trains on,
preceded by the `history_length` places their histories reach back to. Each
history vector of a place is a fixed linear map of the window before it (a
recency-weighted sum, or one newest movie), so all of them come from one
einsum with constant maps: each movie of the chunk is embedded once, where
one example per rating embeds it again for each of the up to
`history_length` later ratings that carry it in their history. On ml-1m's
temporal train split an epoch of the retrieval model took 28 s this way
against 53 s one example per rating (docs/benchmarks.md).
"""

import numpy as np
import tensorflow as tf


def window_maps(decays: tuple[float, ...], newest_movies: int,
                history_length: int, chunk_length: int) -> np.ndarray:
  """[features, chunk_length, history_length + chunk_length] weights.

  Row t of a map weighs the places of a chunk for the target at place
  `history_length + t`: map i < len(decays) gives the movie k places before
  the newest of the window decays[i]**k, as RecencyWeightedPooling does
  before it divides by the weights' sum; the rest pick the j-th newest movie,
  as NewestEmbeddings does.
  """
  target = history_length + np.arange(chunk_length)[:, np.newaxis]
  place = np.arange(history_length + chunk_length)[np.newaxis, :]
  places_before_newest = target - 1 - place
  in_window = ((places_before_newest >= 0) &
               (places_before_newest < history_length))
  maps = [np.where(in_window,
                   float(decay) ** np.maximum(places_before_newest, 0), 0.0)
          for decay in decays]
  maps += [(places_before_newest == j).astype(np.float64)
           for j in range(newest_movies)]
  return np.stack(maps).astype(np.float32)


class HistoryWindows(tf.keras.layers.Layer):
  """Chunks of embedded sequences to the history vectors of their targets.

  The output equals pooling.HistoryEncoder on each target's own ragged
  history (tests/test_history_windows.py): the same weights, divided by the
  same sums, and zeros where a history is shorter than the newest slots.
  """

  def __init__(self, decays: tuple[float, ...], newest_movies: int, **kwargs):
    super().__init__(**kwargs)
    self.decays = tuple(decays)
    self.newest_movies = newest_movies

  def call(self, embeddings: tf.Tensor, is_target: tf.Tensor,
           history_lengths: tf.Tensor) -> list[tf.Tensor]:
    """Vectors of the targets, in the row-major order of `is_target`.

    embeddings: [chunks, history_length + chunk_length, dim], zeros where a
    place holds no movie. is_target: [chunks, chunk_length] bool.
    history_lengths: [targets] how many movies each target's history holds.
    """
    chunk_length = is_target.shape[1]
    maps = window_maps(self.decays, self.newest_movies,
                       embeddings.shape[1] - chunk_length, chunk_length)
    windows = tf.einsum('ftp,cpd->fctd', maps, embeddings)
    targets = tf.where(tf.reshape(is_target, [-1]))[:, 0]
    per_target = tf.gather(
        tf.reshape(windows, [len(maps), -1, embeddings.shape[-1]]), targets,
        axis=1)
    lengths = tf.cast(history_lengths, embeddings.dtype)[:, tf.newaxis]
    vectors = [tf.math.divide_no_nan(per_target[i],
                                     _weight_sum(decay, lengths))
               for i, decay in enumerate(self.decays)]
    if self.newest_movies:
      vectors.append(tf.concat(
          [per_target[len(self.decays) + j]
           for j in range(self.newest_movies)], axis=1))
    return vectors

  def get_config(self) -> dict:
    return {**super().get_config(), 'decays': self.decays,
            'newest_movies': self.newest_movies}


def _weight_sum(decay: float, history_lengths: tf.Tensor) -> tf.Tensor:
  """The sum of decay**k over a history's places, as RecencyWeightedPooling sums it."""
  if decay == 1.0:
    return history_lengths
  return (1.0 - tf.pow(decay, history_lengths)) / (1.0 - decay)
