"""The history pooling layers: masking, recency weights and newest slots."""

import numpy as np
import tensorflow as tf

from models import pooling


def _rows(values: list[list[list[float]]]) -> tf.RaggedTensor:
  return tf.ragged.constant(values, dtype=tf.float32, ragged_rank=1)


def test_pooled_history_is_the_same_alone_or_batched_with_longer_ones():
  embedding = tf.keras.layers.Embedding(20, 4)
  pool = pooling.MaskedMeanPooling()
  alone = pool(embedding(tf.ragged.constant([[3, 7]], dtype=tf.int64)))
  batched = pool(embedding(tf.ragged.constant(
      [[3, 7], [1, 2, 5, 9, 11, 13]], dtype=tf.int64)))
  np.testing.assert_allclose(alone[0], batched[0], rtol=1e-6)
  expected = (embedding(tf.constant([3]))[0] + embedding(tf.constant([7]))[0]) / 2
  np.testing.assert_allclose(alone[0], expected, rtol=1e-6)


def test_empty_history_pools_to_zeros():
  embedding = tf.keras.layers.Embedding(20, 4)
  pooled = pooling.MaskedMeanPooling()(
      embedding(tf.ragged.constant([[], [4]], dtype=tf.int64)))
  np.testing.assert_array_equal(pooled[0], np.zeros(4))


def test_recency_pooling_weighs_the_newest_movie_most():
  rows = _rows([[[1.0], [2.0], [4.0]]])
  np.testing.assert_allclose(
      pooling.RecencyWeightedPooling(0.5)(rows),
      [[(1.0 * 0.25 + 2.0 * 0.5 + 4.0) / 1.75]], rtol=1e-6)


def test_decay_one_is_the_plain_mean_and_zero_the_newest_movie():
  rows = _rows([[[1.0], [2.0], [6.0]], [[5.0]]])
  np.testing.assert_allclose(
      pooling.RecencyWeightedPooling(1.0)(rows), [[3.0], [5.0]])
  np.testing.assert_allclose(
      pooling.RecencyWeightedPooling(0.0)(rows), [[6.0], [5.0]])


def test_pooling_ignores_longer_rows_in_the_batch_and_empty_rows_pool_to_zero():
  pool = pooling.RecencyWeightedPooling(0.5)
  alone = pool(_rows([[[1.0, 2.0], [3.0, 4.0]]]))
  batched = pool(_rows([[[1.0, 2.0], [3.0, 4.0]],
                        [[9.0, 9.0]] * 7,
                        []]))
  np.testing.assert_allclose(batched[0], alone[0], rtol=1e-6)
  np.testing.assert_array_equal(batched[2], [0.0, 0.0])


def test_newest_embeddings_fill_slots_newest_first_and_zero_the_rest():
  rows = _rows([[[1.0], [2.0], [3.0]], [[5.0]], []])
  np.testing.assert_array_equal(
      pooling.NewestEmbeddings(2)(rows), [[3.0, 2.0], [5.0, 0.0],
                                                  [0.0, 0.0]])
