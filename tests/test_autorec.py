"""I-AutoRec: it learns the train ratings and serves users without any."""

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


def test_rating_matrix_places_each_rating_at_its_movie_and_user():
  matrix = autorec.rating_matrix(tf.constant([0, 2], tf.int64),
                                 tf.constant([1, 0], tf.int64),
                                 tf.constant([[4.0], [2.0]]), 3, 2)
  np.testing.assert_array_equal(matrix, [[0, 0, 2], [4, 0, 0]])


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
