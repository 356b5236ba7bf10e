"""Layers and functions that turn a ragged history into fixed-size vectors.

Rows are never padded, so a history gives the same vector alone or in a batch
with longer ones, and an empty history gives zeros. Both models use them.
"""

import tensorflow as tf


def _mean(embeddings: tf.RaggedTensor) -> tf.Tensor:
  sums = tf.reduce_sum(embeddings, axis=1)
  counts = tf.cast(embeddings.row_lengths(), sums.dtype)[:, tf.newaxis]
  return tf.math.divide_no_nan(sums, counts)


def recency_weights(rows: tf.RaggedTensor, decay: float) -> tf.Tensor:
  """Each place's weight in its row's recency-weighted mean, flat, as float32.

  The newest (last) place of a row weighs 1 and the one k places before it
  decay**k, divided by their sum: a row's weights sum to 1. Computed on the
  flat places, without ragged ops.
  """
  row_of_place = rows.value_rowids()
  if decay == 1.0:
    return tf.gather(1.0 / tf.cast(rows.row_lengths(), tf.float32),
                     row_of_place)
  place = tf.range(tf.size(row_of_place, out_type=row_of_place.dtype))
  places_before_newest = (
      tf.gather(rows.row_limits(), row_of_place) - 1 - place)
  weights = tf.pow(decay, tf.cast(places_before_newest, tf.float32))
  totals = tf.math.unsorted_segment_sum(weights, row_of_place, rows.nrows())
  return weights / tf.gather(totals, row_of_place)


def weighted_embedding_sums(ids: tf.RaggedTensor, weights: list[tf.Tensor],
                            table: tf.Tensor) -> list[tf.Tensor]:
  """Per flat weight column w, each row's sum of w[j] * table[ids[j]]: [rows, dim] each.

  One sparse [columns * rows, table rows] matrix times the table. The
  ragged layers here gather a [places, dim] embedding per place first, and
  their gradient scatters one back; the product reads and updates table
  rows in place. In the ranking model on ml-1m (up to 50 history places
  per example, batches of 1,024) it cut a training step from 23-27 to
  17-21 ms, and its CPU time from 36-42 to 26-31 ms, in alternating runs.
  """
  rows = ids.value_rowids()
  nrows = ids.nrows()
  columns = len(weights)
  matrix_rows = tf.reshape(
      rows[tf.newaxis, :] +
      tf.range(columns, dtype=rows.dtype)[:, tf.newaxis] * nrows, [-1])
  matrix = tf.sparse.SparseTensor(
      indices=tf.stack([matrix_rows, tf.tile(ids.flat_values, [columns])],
                       axis=1),
      values=tf.concat(weights, axis=0),
      dense_shape=tf.stack([columns * nrows,
                            tf.shape(table, out_type=rows.dtype)[0]]))
  return tf.split(tf.sparse.sparse_dense_matmul(matrix, table), columns)


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
    return tf.math.unsorted_segment_sum(
        embeddings.flat_values *
        recency_weights(embeddings, self.decay)[:, tf.newaxis],
        embeddings.value_rowids(), embeddings.nrows())

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
