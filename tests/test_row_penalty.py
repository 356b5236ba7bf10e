"""Row-wise tables: the L2 penalty of the rows a batch reads, and gradients that name only them."""

import numpy as np
import tensorflow as tf

from models import pooling
from models import row_penalty

IDS = tf.ragged.constant([[4, 1, 4], [], [7]], dtype=tf.int64)


def _table(row_l2: float | None) -> row_penalty.RowL2Embedding:
  table = row_penalty.RowL2Embedding(10, 3, row_l2=row_l2)
  table.build(None)
  table.embeddings.assign(tf.random.stateless_normal([10, 3], seed=[1, 2]))
  return table


def test_a_call_in_training_adds_the_penalty_of_each_distinct_row_once():
  table = _table(0.5)
  table(IDS, training=True)
  rows = table.embeddings.numpy()[[1, 4, 7]]
  penalty, = table.losses
  np.testing.assert_allclose(penalty, 0.5 * np.sum(rows ** 2), rtol=1e-6)


def test_no_penalty_outside_training_or_without_row_l2():
  row_wise = _table(0.5)
  row_wise(IDS, training=False)
  assert not row_wise.losses
  whole = _table(None)
  whole(IDS, training=True)
  assert not whole.losses and not whole.row_wise


def test_the_distinct_rows_pool_as_the_whole_table_does():
  weights = [tf.constant([1.0, 2.0, 3.0, 4.0])]
  whole = _table(None)
  rows, ids = _table(0.5).pooled_table(IDS, training=False)
  assert rows.shape == (3, 3)
  np.testing.assert_allclose(
      pooling.weighted_embedding_sums(ids, weights, rows)[0],
      pooling.weighted_embedding_sums(IDS, weights, whole.embeddings)[0],
      rtol=1e-6)


class _SumOfRows(tf.keras.layers.Layer):
  """Each row's sum of its ids' rows, read as the ranking model's pooling layers read them."""

  def __init__(self, table: row_penalty.RowL2Embedding):
    super().__init__()
    self.table = table

  def call(self, ids: tf.RaggedTensor, training: bool | None = None):
    rows, row_ids = self.table.pooled_table(ids, training)
    pooled, = pooling.weighted_embedding_sums(
        row_ids, [tf.ones_like(ids.flat_values, tf.float32)], rows)
    return pooled


def test_a_row_wise_gradient_names_only_the_rows_read():
  table = _table(0.5)
  layer = _SumOfRows(table)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(layer(IDS, training=True)) + tf.add_n(layer.losses)
  gradient = tape.gradient(loss, table.embeddings)
  assert isinstance(gradient, tf.IndexedSlices)
  assert sorted(gradient.indices.numpy().tolist()) == [1, 4, 7]
  # Each read adds 1; the penalty adds row_l2 * 2 * row, once a distinct row.
  reads = np.zeros([10, 1])
  np.add.at(reads, [4, 1, 4, 7], 1)
  expected = reads + 0.5 * 2 * table.embeddings.numpy() * (reads > 0)
  np.testing.assert_allclose(tf.convert_to_tensor(gradient), expected,
                             rtol=1e-5, atol=1e-6)
