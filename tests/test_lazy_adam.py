"""LazyAdam: Adam on the rows a sparse gradient names, the other rows left as they are."""

import numpy as np
import tensorflow as tf

from models import lazy_adam


def _tables_after(optimizer: tf.keras.optimizers.Optimizer,
                  rows_per_step: list[list[int]],
                  sparse: bool = True) -> list[np.ndarray]:
  """The table after each step; a step's gradient is 1 + row on its rows."""
  table = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2))
  tables = []
  for rows in rows_per_step:
    gradient = tf.IndexedSlices(
        tf.constant([[1.0 + row, 2.0] for row in rows]),
        tf.constant(rows, tf.int64), tf.constant([6, 2], tf.int64))
    optimizer.apply_gradients([(gradient if sparse else
                                tf.convert_to_tensor(gradient), table)])
    tables.append(table.numpy())
  return tables


def test_rows_named_at_every_step_move_as_under_adam():
  steps = [[0, 2, 5], [5, 0, 2], [2, 0, 5]]
  np.testing.assert_allclose(
      _tables_after(lazy_adam.LazyAdam(0.1), steps)[-1],
      _tables_after(tf.keras.optimizers.Adam(0.1), steps)[-1], rtol=1e-6, atol=1e-5)


def test_a_row_left_out_of_a_step_keeps_its_value_and_moments():
  steps = [[0, 1], [0], [0, 1]]
  lazy = _tables_after(lazy_adam.LazyAdam(0.1), steps)
  adam = _tables_after(tf.keras.optimizers.Adam(0.1), steps)
  np.testing.assert_array_equal(lazy[1][1], lazy[0][1])
  # Adam moves it on its momentum.
  assert not np.allclose(adam[1][1], adam[0][1])
  np.testing.assert_array_equal(lazy[-1][2:], np.arange(4, 12).reshape(4, 2))


def test_repeated_rows_add_their_gradients():
  once = _tables_after(lazy_adam.LazyAdam(0.1), [[3]])[-1]
  table = tf.Variable(np.arange(12, dtype=np.float32).reshape(6, 2))
  lazy_adam.LazyAdam(0.1).apply_gradients([(tf.IndexedSlices(
      tf.constant([[2.0, 1.0], [2.0, 1.0]]), tf.constant([3, 3], tf.int64),
      tf.constant([6, 2], tf.int64)), table)])
  # Adam's first step moves a row by the learning rate times its sign.
  np.testing.assert_allclose(table.numpy(), once, rtol=1e-6, atol=1e-5)


def test_dense_gradients_get_adams_update():
  steps = [[0, 1], [0], [0, 1]]
  np.testing.assert_allclose(
      _tables_after(lazy_adam.LazyAdam(0.1), steps, sparse=False)[-1],
      _tables_after(tf.keras.optimizers.Adam(0.1), steps, sparse=False)[-1],
      rtol=1e-6, atol=1e-5)
