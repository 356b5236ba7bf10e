"""Layers that turn a ragged [batch, None, dim] history into fixed-size vectors.

Rows are never padded, so a history gives the same vector alone or in a batch
with longer ones, and an empty history gives zeros. Both models use them.
"""

import tensorflow as tf


def _mean(embeddings: tf.RaggedTensor) -> tf.Tensor:
  sums = tf.reduce_sum(embeddings, axis=1)
  counts = tf.cast(embeddings.row_lengths(), sums.dtype)[:, tf.newaxis]
  return tf.math.divide_no_nan(sums, counts)


class MaskedMeanPooling(tf.keras.layers.Layer):
  """Mean of each row of a ragged [batch, None, dim] tensor."""

  def call(self, embeddings: tf.RaggedTensor) -> tf.Tensor:
    return _mean(embeddings)


class RecencyWeightedPooling(tf.keras.layers.Layer):
  """Weighted mean of each row of a ragged [batch, None, dim] tensor.

  The newest (last) element weighs 1 and the one k places before it
  decay**k: 1.0 gives the plain mean, 0.0 the newest element alone. An empty
  row pools to zeros.
  """

  def __init__(self, decay: float, **kwargs):
    super().__init__(**kwargs)
    self.decay = decay

  def call(self, embeddings: tf.RaggedTensor) -> tf.Tensor:
    if self.decay == 1.0:
      return _mean(embeddings)  # the same, in a third of the ops
    lengths = embeddings.row_lengths()
    positions = tf.ragged.range(lengths)
    places_before_newest = (
        tf.expand_dims(lengths, 1) - 1 - positions)
    weights = tf.pow(tf.constant(self.decay, embeddings.dtype),
                     tf.cast(places_before_newest, embeddings.dtype))
    sums = tf.reduce_sum(embeddings * tf.expand_dims(weights, -1), axis=1)
    totals = tf.reduce_sum(weights, axis=1)[:, tf.newaxis]
    return tf.math.divide_no_nan(sums, totals)

  def get_config(self) -> dict:
    return {**super().get_config(), 'decay': self.decay}


class NewestEmbeddings(tf.keras.layers.Layer):
  """The embeddings of each row's `count` newest elements, newest first, flattened.

  A pooled vector forgets order; these slots keep "what came last" apart
  from "what came before", so the tower can learn what follows what. Rows
  shorter than `count` get zeros in their missing slots.
  """

  def __init__(self, count: int, **kwargs):
    super().__init__(**kwargs)
    self.count = count

  def call(self, embeddings: tf.RaggedTensor) -> tf.Tensor:
    flat = embeddings.flat_values
    dim = flat.shape[-1]
    padded = tf.concat([flat, tf.zeros([1, dim], flat.dtype)], axis=0)
    places = tf.range(self.count, dtype=embeddings.row_splits.dtype)
    positions = embeddings.row_limits()[:, tf.newaxis] - 1 - places
    exists = places < embeddings.row_lengths()[:, tf.newaxis]
    newest = tf.gather(padded, tf.where(exists, positions,
                                        tf.shape(flat, out_type=places.dtype)[0]))
    return tf.reshape(newest, [-1, self.count * dim])

  def get_config(self) -> dict:
    return {**super().get_config(), 'count': self.count}


class HistoryEncoder(tf.keras.layers.Layer):
  """The history encoder of both models: a ragged history as fixed-size vectors.

  One pooled vector per recency decay (1.0 is the paper's plain mean) and,
  if `newest_movies` is not 0, that many newest movies in their own slots.
  models/history_windows.py computes the same vectors for every place of a
  sequence at once.
  """

  def __init__(self, decays: tuple[float, ...], newest_movies: int, **kwargs):
    super().__init__(**kwargs)
    self.decays = tuple(decays)
    self.newest_movies = newest_movies
    self.pooling = [RecencyWeightedPooling(decay, name=f'history_pooling_{i}')
                    for i, decay in enumerate(self.decays)]
    self.newest = (NewestEmbeddings(newest_movies, name='newest_movies')
                   if newest_movies else None)

  def call(self, history: tf.RaggedTensor) -> list[tf.Tensor]:
    vectors = [pool(history) for pool in self.pooling]
    if self.newest is not None:
      vectors.append(self.newest(history))
    return vectors

  def get_config(self) -> dict:
    return {**super().get_config(), 'decays': self.decays,
            'newest_movies': self.newest_movies}
