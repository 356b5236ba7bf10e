"""The explicit interaction between the user and movie sides of the ranking model.

The tower's ReLU layers learn interactions only implicitly. SVD++'s biased
factorization over the user's implicit feedback, what the best rating
predictors on ml-1m build on, gives it an explicit one.
"""

import tensorflow as tf

from models import pooling


class SvdPlusPlus(tf.keras.layers.Layer):
  """b_u + b_i + <p_u + |N(u)|^-1/2 * sum of y_j over N(u), q_i>, one per example.

  SVD++ with N(u) the example's history, the movies the user rated *before*
  it, so it reads nothing later than the example. The biases and the
  factors have their own L2 weights, as in SVD++, apart from the tower's.
  The implicit factors y_j are pooled as a sparse product with their
  table (pooling.weighted_embedding_sums), like the tower's history.
  """

  def __init__(self, users: int, movies: int, dim: int, factor_l2: float,
               bias_l2: float, **kwargs):
    super().__init__(**kwargs)

    def table(rows: int, width: int, l2: float,
              name: str) -> tf.keras.layers.Embedding:
      # Biases start at 0, factors small and random, as in SVD++.
      initializer = (tf.keras.initializers.Zeros() if width == 1 else
                     tf.keras.initializers.RandomNormal(stddev=0.01))
      return tf.keras.layers.Embedding(
          rows, width, embeddings_initializer=initializer,
          embeddings_regularizer=tf.keras.regularizers.l2(l2), name=name)

    self.user_bias = table(users, 1, bias_l2, 'user_bias')
    self.movie_bias = table(movies, 1, bias_l2, 'movie_bias')
    self.user_factors = table(users, dim, factor_l2, 'user_factors')
    self.movie_factors = table(movies, dim, factor_l2, 'movie_factors')
    self.implicit_factors = table(movies, dim, factor_l2, 'implicit_factors')

  def build(self, input_shape) -> None:
    # The implicit factors are read as a table, not called.
    self.implicit_factors.build((None,))
    super().build(input_shape)

  def call(self, user: tf.Tensor, movie: tf.Tensor,
           history: tf.RaggedTensor) -> tf.Tensor:
    """The term for each example, [batch, 1]."""
    scale = tf.gather(
        tf.math.rsqrt(tf.maximum(tf.cast(history.row_lengths(), tf.float32),
                                 1.0)), history.value_rowids())
    implicit, = pooling.weighted_embedding_sums(
        history, [scale], self.implicit_factors.embeddings)
    user_vector = self.user_factors(user) + implicit
    return (self.user_bias(user) + self.movie_bias(movie) + tf.reduce_sum(
        user_vector * self.movie_factors(movie), axis=1, keepdims=True))
