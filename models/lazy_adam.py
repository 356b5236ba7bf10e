"""Adam that updates only the rows a sparse gradient names, as TF1's LazyAdamOptimizer did.

tf_keras's Adam decays both moments of every row of an embedding table at
each step, and moves every row, even when the gradient names a few: a step
then costs the whole table. The ranking model's user and movie tables grow
with the data and its steps with the ratings, so its training time grew
faster than the ratings (benchmarks/ranking_step_cost.py: 20 ms a step at
the cost curve's 1M vocabulary, 53 ms at 10M's, 119 ms at ml-32m's; 19, 31
and 39 ms with row-wise tables and this optimizer). Here a row and its
moments move only in the steps that read it, so a step costs what the
batch reads. Dense gradients get Adam's own update.
"""

import tensorflow as tf


class LazyAdam(tf.keras.optimizers.Adam):
  """tf_keras's Adam, with sparse (IndexedSlices) gradients applied lazily.

  It reads the moment slots as tf_keras 2.16.0 (pinned in constraints.txt)
  lays them out, and leaves `amsgrad` to dense gradients.
  """

  def update_step(self, gradient: tf.Tensor | tf.IndexedSlices,
                  variable: tf.Variable) -> None:
    if not isinstance(gradient, tf.IndexedSlices):
      super().update_step(gradient, variable)
      return
    # The optimizer has merged repeated indices (_deduplicate_sparse_grad),
    # so each row is gathered and written once.
    dtype = variable.dtype
    step = tf.cast(self.iterations + 1, dtype)
    beta_1 = tf.cast(self.beta_1, dtype)
    beta_2 = tf.cast(self.beta_2, dtype)
    alpha = (tf.cast(self.learning_rate, dtype) *
             tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step)))
    index = self._index_dict[self._var_key(variable)]
    m, v = self._momentums[index], self._velocities[index]
    rows = gradient.indices
    m_rows = beta_1 * tf.gather(m, rows) + (1 - beta_1) * gradient.values
    v_rows = (beta_2 * tf.gather(v, rows) +
              (1 - beta_2) * tf.square(gradient.values))
    m.scatter_update(tf.IndexedSlices(m_rows, rows))
    v.scatter_update(tf.IndexedSlices(v_rows, rows))
    variable.scatter_sub(tf.IndexedSlices(
        alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))
