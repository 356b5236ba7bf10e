"""Embedding tables whose L2 penalty covers the rows a batch reads, not the whole table.

A Keras `embeddings_regularizer` penalizes every row at every step, so the
table's gradient is dense and a step costs the whole table, however few
rows the batch reads. Above ModelConfig.dense_table_max_users the ranking
model's tables are `row_wise`: they penalize only the distinct rows each
batch reads (the "mini-batch aware" regularization of DIN, Zhou et al.
2018, without its frequency scaling), the sparse products pool from those
rows alone, so every table's gradient names only the rows read and
models/lazy_adam.py updates just those.
"""

import tensorflow as tf


class RowL2Embedding(tf.keras.layers.Embedding):
  """An Embedding that, given `row_l2`, penalizes the rows each batch reads.

  Without `row_l2` it is a Keras Embedding (its `embeddings_regularizer`,
  if any, penalizes the whole table). Layers that pool from the table as a
  sparse product read it through `pooled_table`.
  """

  def __init__(self, input_dim: int, output_dim: int,
               row_l2: float | None = None, **kwargs):
    super().__init__(input_dim, output_dim, **kwargs)
    self.row_l2 = row_l2

  @property
  def row_wise(self) -> bool:
    return self.row_l2 is not None

  def penalize_rows(self, rows: tf.Tensor) -> None:
    """Adds row_l2 times the rows' sum of squares to the model's losses."""
    if self.row_l2:
      self.add_loss(self.row_l2 * tf.reduce_sum(tf.square(rows)))

  def penalize(self, ids: tf.Tensor | tf.RaggedTensor) -> None:
    """Penalizes the distinct rows `ids` name, if row-wise."""
    if not self.row_l2:
      return
    if isinstance(ids, tf.RaggedTensor):
      ids = ids.flat_values
    distinct, _ = tf.unique(tf.reshape(ids, [-1]))
    self.penalize_rows(tf.gather(self.embeddings, distinct))

  def pooled_table(self, ids: tf.RaggedTensor, training: bool | None
                   ) -> tuple[tf.Tensor, tf.RaggedTensor]:
    """The table a sparse product reads for `ids`, and the ids into it.

    The whole table and `ids` themselves; or, row-wise, the batch's
    distinct rows (penalized in training) and each place's index among
    them, so the product's gradient names those rows alone.
    """
    if not self.row_wise:
      return self.embeddings, ids
    distinct, local_ids = tf.unique(ids.flat_values,
                                    out_idx=ids.flat_values.dtype)
    rows = tf.gather(self.embeddings, distinct)
    if training:
      self.penalize_rows(rows)
    return rows, ids.with_flat_values(local_ids)

  def call(self, ids: tf.Tensor | tf.RaggedTensor,
           training: bool | None = None) -> tf.Tensor | tf.RaggedTensor:
    if training:
      self.penalize(ids)
    return super().call(ids)

  def get_config(self) -> dict:
    return {**super().get_config(), 'row_l2': self.row_l2}
