"""I-AutoRec: it learns the train ratings and serves users without any."""

import dataclasses

import numpy as np
import tensorflow as tf

from models import autorec
from models import hyperparameters

USERS, MOVIES = 30, 40


def _ratings(seed: int = 0) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """Every user rates half the movies: a user's generosity plus a movie's quality.

  The last user rates nothing, like the vocabulary's OOV row.
  """
  rng = np.random.default_rng(seed)
  generosity = rng.normal(0, 0.7, USERS)
  quality = rng.normal(0, 0.7, MOVIES)
  users, movies = np.nonzero(rng.random((USERS - 1, MOVIES)) < 0.5)
  ratings = np.clip(np.round(3.5 + generosity[users] + quality[movies]), 1, 5)
  return (tf.constant(users, tf.int64), tf.constant(movies, tf.int64),
          tf.constant(ratings, tf.float32))


def _trained(config: hyperparameters.ModelConfig) -> autorec.AutoRecRating:
  users, movies, ratings = _ratings()
  return autorec.train_item_autorec(users, movies, ratings, USERS, MOVIES,
                                    config)


CONFIG = hyperparameters.ModelConfig(autorec_hidden=16, autorec_l2=1.0,
                                     autorec_learning_rate=1e-2,
                                     autorec_epochs=150, autorec_batch_size=16)


def test_rating_columns_hold_each_movies_raters_and_ratings():
  columns = autorec.rating_columns(tf.constant([0, 2, 1], tf.int64),
                                   tf.constant([1, 0, 1], tf.int64),
                                   tf.constant([[4.0], [2.0], [5.0]]), 3, 2)
  np.testing.assert_array_equal(
      columns.dense(tf.constant([1, 0], tf.int64)), [[4, 5, 0], [0, 0, 2]])


def _dense_reference(config: hyperparameters.ModelConfig) -> tf.Tensor:
  """The movies' codes after training on the whole dense movies-by-users
  matrix, as I-AutoRec did before its columns were kept sparse."""
  users, movies, ratings = _ratings()
  matrix = tf.scatter_nd(tf.stack([movies, users], axis=1), ratings,
                         [MOVIES, USERS])
  initializer = tf.keras.initializers.GlorotUniform(seed=autorec.SEED)
  encoder = tf.Variable(initializer((USERS, config.autorec_hidden)))
  encoder_bias = tf.Variable(tf.zeros(config.autorec_hidden))
  decoder = tf.Variable(initializer((config.autorec_hidden, USERS)))
  decoder_bias = tf.Variable(tf.zeros(USERS))
  variables = [encoder, encoder_bias, decoder, decoder_bias]
  batch_size = config.autorec_batch_size
  optimizer = tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(
      config.autorec_learning_rate,
      config.autorec_epochs * -(-MOVIES // batch_size)))

  def codes(rows: tf.Tensor) -> tf.Tensor:
    return tf.sigmoid(tf.matmul(rows, encoder) + encoder_bias)

  for epoch in range(config.autorec_epochs):
    order = tf.random.experimental.stateless_shuffle(
        tf.range(MOVIES, dtype=tf.int64), seed=[autorec.SEED, epoch])
    for start in range(0, MOVIES, batch_size):
      rows = tf.gather(matrix, order[start:start + batch_size])
      with tf.GradientTape() as tape:
        reconstructed = tf.matmul(codes(rows), decoder) + decoder_bias
        loss = (tf.reduce_sum(tf.cast(rows > 0, tf.float32) *
                              tf.square(reconstructed - rows)) +
                config.autorec_l2 / 2 * tf.cast(tf.shape(rows)[0],
                                                tf.float32) / MOVIES *
                (tf.reduce_sum(tf.square(encoder)) +
                 tf.reduce_sum(tf.square(decoder))))
      optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
  return codes(matrix)


def test_sparse_columns_train_the_same_autoencoder_as_the_whole_matrix():
  config = dataclasses.replace(CONFIG, autorec_epochs=5)
  np.testing.assert_allclose(_trained(config).movie_codes,
                             _dense_reference(config), atol=1e-5)


def test_autorec_fits_the_train_ratings_better_than_their_mean():
  users, movies, ratings = _ratings()
  predicted = _trained(CONFIG)(users, movies)[:, 0]
  rmse = float(tf.sqrt(tf.reduce_mean(tf.square(predicted - ratings))))
  spread = float(tf.math.reduce_std(ratings))
  assert rmse < 0.6 * spread


def test_a_user_without_train_ratings_gets_the_mean_users_rating():
  layer = _trained(CONFIG)
  movies = tf.range(MOVIES, dtype=tf.int64)
  unrated = layer(tf.fill([MOVIES], tf.constant(USERS - 1, tf.int64)), movies)
  mean_user = (tf.matmul(layer.movie_codes,
                         tf.reduce_mean(layer.user_weights[:-1], axis=0)[
                             :, tf.newaxis]) +
               tf.reduce_mean(layer.user_bias[:-1]))
  np.testing.assert_allclose(unrated, mean_user, rtol=1e-5)
  assert 1.0 < float(tf.reduce_mean(unrated)) < 5.0
