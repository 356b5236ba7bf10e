"""The explicit interaction between the user and movie sides of the ranking model.

The tower's ReLU layers learn interactions only implicitly. SVD++'s biased
factorization over the user's implicit feedback, and flipped over the
movie's, what the best rating predictors on ml-1m build on, gives it an
explicit one.
"""

import tensorflow as tf

from models import member_axis
from models import pooling
from models import row_penalty


def _implicit_sum(ids: tf.RaggedTensor, table: row_penalty.RowL2Embedding,
                  training: bool | None) -> tf.Tensor:
  """|N|^-1/2 times the sum of the table's rows of each row's ids, [batch, dim].

  Pooled as a sparse product with the table (pooling.weighted_embedding_sums),
  like the tower's history; an empty row gives zeros.
  """
  scale = tf.gather(
      tf.math.rsqrt(tf.maximum(tf.cast(ids.row_lengths(), tf.float32), 1.0)),
      ids.value_rowids())
  rows, row_ids = table.pooled_table(ids, training)
  implicit, = pooling.weighted_embedding_sums(row_ids, [scale], rows)
  return implicit


class SvdPlusPlus(tf.keras.layers.Layer):
  """b_u + b_i + <p_u + |N(u)|^-1/2 * sum of y_j over N(u), q_i>, one per example.

  SVD++ with N(u) the example's history, the movies the user rated *before*
  it, so it reads nothing later than the example. The biases and the
  factors have their own L2 weights, as in SVD++, apart from the tower's.
  With `flipped`, the movie's side gets the same implicit term from R(i),
  the users who rated the movie before the example: q_i + |R(i)|^-1/2 *
  sum of z_v over R(i), as in the "flipped" SVD++ that leads ml-1m's
  published rating predictors, here from earlier raters only.

  Every table holds `members` members' rows side by side
  (models/member_axis.py), so the term comes per member. Given
  `row_l2_scale`, the L2 penalties, scaled by it, cover the rows each batch
  reads, not the whole tables (models/row_penalty.py).
  """

  def __init__(self, users: int, movies: int, dim: int, factor_l2: float,
               bias_l2: float, flipped: bool = False, members: int = 1,
               row_l2_scale: float | None = None, **kwargs):
    super().__init__(**kwargs)
    self.members = members

    def table(rows: int, width: int, l2: float,
              name: str) -> row_penalty.RowL2Embedding:
      # Biases start at 0, factors small and random, as in SVD++.
      initializer = (tf.keras.initializers.Zeros() if width == 1 else
                     tf.keras.initializers.RandomNormal(stddev=0.01))
      penalty = ({'embeddings_regularizer': tf.keras.regularizers.l2(l2)}
                 if row_l2_scale is None else {'row_l2': row_l2_scale * l2})
      return row_penalty.RowL2Embedding(
          rows, members * width, embeddings_initializer=initializer,
          name=name, **penalty)

    self.user_bias = table(users, 1, bias_l2, 'user_bias')
    self.movie_bias = table(movies, 1, bias_l2, 'movie_bias')
    self.user_factors = table(users, dim, factor_l2, 'user_factors')
    self.movie_factors = table(movies, dim, factor_l2, 'movie_factors')
    self.implicit_factors = table(movies, dim, factor_l2, 'implicit_factors')
    self.rater_factors = (table(users, dim, factor_l2, 'rater_factors')
                          if flipped else None)

  def build(self, input_shape) -> None:
    # The implicit factors are read as tables, not called.
    self.implicit_factors.build((None,))
    if self.rater_factors is not None:
      self.rater_factors.build((None,))
    super().build(input_shape)

  def call(self, user: tf.Tensor, movie: tf.Tensor, history: tf.RaggedTensor,
           raters: tf.RaggedTensor | None = None,
           training: bool | None = None) -> tf.Tensor:
    """The term for each example and member, [batch, members, 1]; `raters` only if `flipped`."""
    user_vector = self.user_factors(user) + _implicit_sum(
        history, self.implicit_factors, training)
    movie_vector = self.movie_factors(movie)
    if self.rater_factors is not None:
      movie_vector += _implicit_sum(raters, self.rater_factors, training)
    biases = self.user_bias(user) + self.movie_bias(movie)
    return biases[:, :, tf.newaxis] + tf.reduce_sum(
        member_axis.split(user_vector, self.members) *
        member_axis.split(movie_vector, self.members), axis=2, keepdims=True)
