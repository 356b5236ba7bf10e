"""The ranking model: pooling ignores padding, heads have the right shapes."""

import numpy as np
import tensorflow as tf

from models import ranking_model
from pipeline import configs
from pipeline import features

SIZES = ranking_model.VocabularySizes(
    movie=20, user=10, genre=5, zip_prefix=4, gender=3, age=8, occupation=22)


def _batch(histories: list[list[int]]) -> dict[str, tf.Tensor]:
  n = len(histories)
  batch = {name: tf.zeros([n], tf.int64) for name in (
      features.USER_INDEX, features.MOVIE_INDEX, features.GENDER_INDEX,
      features.AGE_INDEX, features.OCCUPATION_INDEX,
      features.ZIP_PREFIX_INDEX)}
  batch[features.HISTORY_INDICES] = tf.ragged.constant(
      histories, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch[features.GENRE_INDICES] = tf.ragged.constant(
      [[1, 2]] * n, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch.update({name: tf.fill([n], 0.5)
                for name in features.continuous_feature_names()})
  return batch


def test_pooled_history_is_the_same_alone_or_batched_with_longer_ones():
  embedding = tf.keras.layers.Embedding(20, 4)
  pool = ranking_model.MaskedMeanPooling()
  alone = pool(embedding(tf.ragged.constant([[3, 7]], dtype=tf.int64)))
  batched = pool(embedding(tf.ragged.constant(
      [[3, 7], [1, 2, 5, 9, 11, 13]], dtype=tf.int64)))
  np.testing.assert_allclose(alone[0], batched[0], rtol=1e-6)
  expected = (embedding(tf.constant([3]))[0] + embedding(tf.constant([7]))[0]) / 2
  np.testing.assert_allclose(alone[0], expected, rtol=1e-6)


def test_empty_history_pools_to_zeros():
  embedding = tf.keras.layers.Embedding(20, 4)
  pooled = ranking_model.MaskedMeanPooling()(
      embedding(tf.ragged.constant([[], [4]], dtype=tf.int64)))
  np.testing.assert_array_equal(pooled[0], np.zeros(4))


def test_user_representation_ignores_how_the_batch_is_padded():
  model = ranking_model.build_ranking_model(SIZES, configs.ModelConfig())
  representations = ranking_model.representation_model(model)
  alone = representations(_batch([[3, 7]]))['user_representation']
  batched = representations(_batch([[3, 7], list(range(1, 19))]))[
      'user_representation']
  np.testing.assert_allclose(alone[0], batched[0], rtol=1e-5)


def test_heads_and_shapes():
  model = ranking_model.build_ranking_model(SIZES, configs.ModelConfig())
  outputs = model(_batch([[1], [2, 3], []]))
  assert outputs[features.RATING_HEAD].shape == (3, 1)
  assert outputs[features.STARS_HEAD].shape == (3, features.NUM_STARS)
  assert outputs[features.LIKED_HEAD].shape == (3, 1)
  np.testing.assert_allclose(
      tf.reduce_sum(outputs[features.STARS_HEAD], axis=1), 1.0, rtol=1e-5)


def test_no_head_name_is_a_prefix_of_another():
  heads = (features.RATING_HEAD, features.STARS_HEAD, features.LIKED_HEAD)
  for a in heads:
    for b in heads:
      assert a == b or not b.startswith(a)
