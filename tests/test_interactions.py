"""SVD++ over the earlier history computes what it claims."""

import numpy as np
import tensorflow as tf

from models import interactions


def _history(rows: list[list[int]]) -> tf.RaggedTensor:
  return tf.ragged.constant(rows, dtype=tf.int64, row_splits_dtype=tf.int64)


def test_svd_plus_plus_is_biases_plus_user_and_scaled_implicit_factors_dot_movie():
  layer = interactions.SvdPlusPlus(users=3, movies=5, dim=4, factor_l2=0.0,
                                   bias_l2=0.0)
  users = tf.constant([1, 2], tf.int64)
  movies = tf.constant([4, 0], tf.int64)
  history = _history([[0, 2, 3], []])
  layer(users, movies, history)
  rng = np.random.default_rng(0)
  for table in (layer.user_bias, layer.movie_bias, layer.user_factors,
                layer.movie_factors, layer.implicit_factors):
    table.embeddings.assign(rng.normal(size=table.embeddings.shape))
  term = layer(users, movies, history).numpy()[:, 0, 0]

  def weights(table: tf.keras.layers.Embedding) -> np.ndarray:
    return table.embeddings.numpy()

  implicit = weights(layer.implicit_factors)[[0, 2, 3]].sum(0) / np.sqrt(3)
  expected = [
      weights(layer.user_bias)[1, 0] + weights(layer.movie_bias)[4, 0] +
      (weights(layer.user_factors)[1] + implicit) @
      weights(layer.movie_factors)[4],
      # An empty history adds nothing.
      weights(layer.user_bias)[2, 0] + weights(layer.movie_bias)[0, 0] +
      weights(layer.user_factors)[2] @ weights(layer.movie_factors)[0],
  ]
  np.testing.assert_allclose(term, expected, rtol=1e-5)


def test_flipped_svd_plus_plus_adds_the_raters_implicit_factors_to_the_movie():
  layer = interactions.SvdPlusPlus(users=3, movies=5, dim=4, factor_l2=0.0,
                                   bias_l2=0.0, flipped=True)
  users = tf.constant([1, 2], tf.int64)
  movies = tf.constant([4, 0], tf.int64)
  history = _history([[0, 2], []])
  raters = _history([[0, 1], []])
  layer(users, movies, history, raters)
  rng = np.random.default_rng(1)
  for weight in layer.weights:
    weight.assign(rng.normal(size=weight.shape))
  term = layer(users, movies, history, raters).numpy()[:, 0, 0]

  def weights(table: tf.keras.layers.Embedding) -> np.ndarray:
    return table.embeddings.numpy()

  user = (weights(layer.user_factors)[1] +
          weights(layer.implicit_factors)[[0, 2]].sum(0) / np.sqrt(2))
  movie = (weights(layer.movie_factors)[4] +
           weights(layer.rater_factors)[[0, 1]].sum(0) / np.sqrt(2))
  expected = [
      weights(layer.user_bias)[1, 0] + weights(layer.movie_bias)[4, 0] +
      user @ movie,
      # Empty histories add nothing.
      weights(layer.user_bias)[2, 0] + weights(layer.movie_bias)[0, 0] +
      weights(layer.user_factors)[2] @ weights(layer.movie_factors)[0],
  ]
  np.testing.assert_allclose(term, expected, rtol=1e-5)


def test_svd_plus_plus_factors_do_not_all_start_alike():
  layer = interactions.SvdPlusPlus(users=3, movies=5, dim=4, factor_l2=0.0,
                                   bias_l2=0.0)
  layer(tf.constant([0], tf.int64), tf.constant([0], tf.int64), _history([[1]]))
  assert not np.allclose(layer.movie_factors.embeddings.numpy(),
                         layer.implicit_factors.embeddings.numpy())
  assert not np.any(layer.user_bias.embeddings.numpy())


def test_each_member_reads_its_own_columns_of_every_table():
  layer = interactions.SvdPlusPlus(users=3, movies=5, dim=4, factor_l2=0.0,
                                   bias_l2=0.0, flipped=True, members=2)
  users = tf.constant([1], tf.int64)
  movies = tf.constant([4], tf.int64)
  history = _history([[0, 2]])
  raters = _history([[0, 1]])
  layer(users, movies, history, raters)
  rng = np.random.default_rng(2)
  for weight in layer.weights:
    weight.assign(rng.normal(size=weight.shape))
  term = layer(users, movies, history, raters).numpy()
  assert term.shape == (1, 2, 1)

  def member_rows(table: tf.keras.layers.Embedding, rows: list[int],
                  member: int) -> np.ndarray:
    width = table.embeddings.shape[1] // 2
    return table.embeddings.numpy()[rows, member * width:(member + 1) * width]

  for member in range(2):
    user = (member_rows(layer.user_factors, [1], member)[0] +
            member_rows(layer.implicit_factors, [0, 2], member).sum(0) /
            np.sqrt(2))
    movie = (member_rows(layer.movie_factors, [4], member)[0] +
             member_rows(layer.rater_factors, [0, 1], member).sum(0) /
             np.sqrt(2))
    expected = (member_rows(layer.user_bias, [1], member)[0, 0] +
                member_rows(layer.movie_bias, [4], member)[0, 0] +
                user @ movie)
    np.testing.assert_allclose(term[0, member, 0], expected, rtol=1e-5)
