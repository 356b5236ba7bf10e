"""The ranking model: padding, head shapes, packed members and the I-AutoRec blend."""

import numpy as np
import pytest
import tensorflow as tf

from contract import features
from contract import formats
from models import autorec
from models import hyperparameters
from models import pooling
from models import ranking_model
from models import row_penalty

SIZES = ranking_model.VocabularySizes(
    movie=20, user=10, genre=5,
    demographics={features.GENDER_INDEX: 3, features.AGE_INDEX: 8,
                  features.OCCUPATION_INDEX: 22, features.ZIP_PREFIX_INDEX: 4},
    stars=formats.ML_1M.rating_scale.num_values)


def _batch(histories: list[list[int]],
           raters: list[list[int]] | None = None) -> dict[str, tf.Tensor]:
  n = len(histories)
  batch = {name: tf.zeros([n], tf.int64) for name in (
      features.USER_INDEX, features.MOVIE_INDEX, features.GENDER_INDEX,
      features.AGE_INDEX, features.OCCUPATION_INDEX,
      features.ZIP_PREFIX_INDEX)}
  batch[features.HISTORY_INDICES] = tf.ragged.constant(
      histories, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch[features.HISTORY_RATING_VALUES] = tf.ragged.constant(
      [[4.0] * len(history) for history in histories], dtype=tf.float32,
      row_splits_dtype=tf.int64)
  batch[features.GENRE_INDICES] = tf.ragged.constant(
      [[1, 2]] * n, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch[features.RATER_INDICES] = tf.ragged.constant(
      raters or [[]] * n, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch.update({name: tf.fill([n], 0.5)
                for name in features.continuous_feature_names()})
  return batch


def test_user_representation_ignores_how_the_batch_is_padded():
  model = ranking_model.build_ranking_model(SIZES, hyperparameters.ModelConfig())
  representations = ranking_model.representation_model(model)
  alone = representations(_batch([[3, 7]]))['user_representation']
  batched = representations(_batch([[3, 7], list(range(1, 19))]))[
      'user_representation']
  # The sparse product may sum in another order in a larger batch.
  np.testing.assert_allclose(alone[0], batched[0], rtol=1e-5, atol=1e-6)


def test_the_movie_raters_change_the_prediction():
  model = ranking_model.build_ranking_model(SIZES, hyperparameters.ModelConfig())
  rating = model(_batch([[3, 7]], [[1, 2]]))[features.RATING_HEAD]
  assert model(_batch([[3, 7]], [[4, 5]]))[features.RATING_HEAD] != rating


def test_without_flipped_factors_the_model_does_not_read_the_raters():
  config = hyperparameters.ModelConfig(flipped_factors=False)
  model = ranking_model.build_ranking_model(SIZES, config)
  assert features.RATER_INDICES not in model.input_names


def test_history_ratings_change_the_prediction():
  model = ranking_model.build_ranking_model(SIZES, hyperparameters.ModelConfig())
  batch = _batch([[3, 7]])
  rating = model(batch)[features.RATING_HEAD]
  batch[features.HISTORY_RATING_VALUES] = tf.ragged.constant(
      [[1.0, 1.0]], row_splits_dtype=tf.int64)
  assert model(batch)[features.RATING_HEAD] != rating


def test_rated_history_holds_embedding_weighted_embedding_and_rating():
  history = tf.ragged.constant([[[1.0, 2.0], [3.0, 4.0]], []], ragged_rank=1)
  ratings = tf.ragged.constant([[5.0, 2.0], []])
  rated = ranking_model.RatedHistory()(history, ratings)
  high = 5.0 - ranking_model.RATING_PRIOR
  low = 2.0 - ranking_model.RATING_PRIOR
  np.testing.assert_allclose(rated[0].numpy(), [
      [1.0, 2.0, 1.0 * high, 2.0 * high, high],
      [3.0, 4.0, 3.0 * low, 4.0 * low, low]], rtol=1e-6)
  assert rated.row_lengths().numpy().tolist() == [2, 0]


def test_without_history_ratings_the_model_does_not_read_them():
  config = hyperparameters.ModelConfig(use_history_ratings=False)
  model = ranking_model.build_ranking_model(SIZES, config)
  assert features.HISTORY_RATING_VALUES not in model.input_names


def test_recency_decays_and_newest_slots_add_history_vectors():
  config = hyperparameters.ModelConfig(history_decays=(1.0, 0.5), newest_movies=3)
  model = ranking_model.build_ranking_model(SIZES, config)
  encoder = model.get_layer('history_vectors')
  assert encoder.decays == (1.0, 0.5)
  assert encoder.newest.count == 3
  assert model(_batch([[1], [], [2, 3, 4, 5]]))[
      features.RATING_HEAD].shape == (3, 1)


def _embedding(rows: int, width: int, seed: int) -> row_penalty.RowL2Embedding:
  embedding = row_penalty.RowL2Embedding(rows, width)
  embedding.build(None)
  embedding.embeddings.assign(tf.random.stateless_normal(
      [rows, width], seed=[seed, 2]))
  return embedding


HISTORY = tf.ragged.constant([[3, 7, 1, 12], [], [5], [19, 0]], dtype=tf.int64)
HISTORY_RATINGS = tf.ragged.constant(
    [[5.0, 1.0, 3.0, 4.0], [], [2.0], [4.0, 5.0]])


@pytest.mark.parametrize('with_ratings', [True, False])
def test_history_vectors_equal_the_pooled_gathered_embeddings(with_ratings):
  """The sparse product gives what gathering and pooling the embeddings gives.

  With ratings, each pooled vector also ends in the known ratings' share
  of its weight: 1 where the history has ratings, all known, else 0.
  """
  embedding = _embedding(SIZES.movie, 4, seed=1)
  gathered = embedding(HISTORY)
  if with_ratings:
    gathered = ranking_model.RatedHistory()(gathered, HISTORY_RATINGS)
  decays = (1.0, 0.5, 0.0)
  expected = pooling.HistoryEncoder(decays, 3)(gathered)
  vectors = ranking_model.HistoryVectors(embedding, decays, 3)(
      HISTORY, *([HISTORY_RATINGS] if with_ratings else []))
  assert len(vectors) == len(expected)
  for place, (vector, reference) in enumerate(zip(vectors, expected)):
    vector = vector[:, 0]
    if with_ratings and place < len(decays):
      np.testing.assert_allclose(vector[:, -1], [1.0, 0.0, 1.0, 1.0])
      vector = vector[:, :-1]
    np.testing.assert_allclose(vector, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('with_ratings', [True, False])
def test_each_members_history_vectors_read_its_own_columns(with_ratings):
  side_by_side = _embedding(SIZES.movie, 2 * 4, seed=3)
  vectors = ranking_model.HistoryVectors(
      side_by_side, (1.0, 0.5), 2, members=2)(
          HISTORY, *([HISTORY_RATINGS] if with_ratings else []))
  for member in range(2):
    alone = _embedding(SIZES.movie, 4, seed=4)
    alone.embeddings.assign(
        side_by_side.embeddings[:, member * 4:(member + 1) * 4])
    expected = ranking_model.HistoryVectors(alone, (1.0, 0.5), 2)(
        HISTORY, *([HISTORY_RATINGS] if with_ratings else []))
    for vector, reference in zip(vectors, expected):
      np.testing.assert_allclose(vector[:, member], reference[:, 0],
                                 rtol=1e-5, atol=1e-6)


def test_unknown_ratings_are_left_out_of_the_rated_parts():
  """A 0 rating (features.UNKNOWN_RATING) weighs nothing in the rated means.

  The plain mean still counts its movie; the rated mean and the mean rating
  are those of the known ratings alone, the known share is 2/3, and its
  newest slot has no rated part. A history with no known rating has rated
  parts and a known share of 0.
  """
  embedding = _embedding(SIZES.movie, 4, seed=5)
  encoder = ranking_model.HistoryVectors(embedding, (1.0,), 3)
  history = tf.ragged.constant([[3, 7, 1], [3, 7, 1], [3, 1], [3, 7]],
                               dtype=tf.int64)
  ratings = tf.ragged.constant(
      [[5.0, 0.0, 1.0], [5.0, 4.0, 1.0], [5.0, 1.0], [0.0, 0.0]])
  pooled, newest = encoder(history, ratings)
  with_unknown, all_known, known_alone, none_known = pooled[:, 0].numpy()
  np.testing.assert_allclose(with_unknown[:4], all_known[:4], rtol=1e-6)
  np.testing.assert_allclose(with_unknown[4:9], known_alone[4:9], rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(with_unknown[8], (5.0 + 1.0) / 2 -
                             ranking_model.RATING_PRIOR, rtol=1e-6)
  np.testing.assert_allclose([with_unknown[9], all_known[9], none_known[9]],
                             [2 / 3, 1.0, 0.0], rtol=1e-6)
  np.testing.assert_array_equal(none_known[4:], 0.0)
  # Newest first: movie 1, then movie 7, whose rated part is 0.
  movie_7_slot = newest[0, 0, 9:18].numpy()
  np.testing.assert_allclose(movie_7_slot[:4], embedding.embeddings[7],
                             rtol=1e-6)
  np.testing.assert_array_equal(movie_7_slot[4:], 0.0)


def test_history_vectors_train_the_rows_of_the_history_movies():
  embedding = row_penalty.RowL2Embedding(SIZES.movie, 4)
  embedding.build(None)
  history = tf.ragged.constant([[3, 7], [7]], dtype=tf.int64)
  ratings = tf.ragged.constant([[5.0, 1.0], [2.0]])
  with tf.GradientTape() as tape:
    vectors = ranking_model.HistoryVectors(embedding, (1.0,), 0)(
        history, ratings)
    loss = tf.reduce_sum(tf.concat(vectors, axis=1))
  gradient = tf.convert_to_tensor(
      tape.gradient(loss, embedding.embeddings))
  touched = np.flatnonzero(np.abs(gradient.numpy()).sum(axis=1))
  assert touched.tolist() == [3, 7]


@pytest.mark.parametrize('members', [1, 3])
def test_heads_and_shapes(members):
  model = ranking_model.build_ranking_model(
      SIZES, hyperparameters.ModelConfig(), members=members)
  outputs = model(_batch([[1], [2, 3], []]))
  assert set(outputs) == set(features.HEADS)
  assert outputs[features.RATING_HEAD].shape == (3, 1)
  assert outputs[features.STARS_HEAD].shape == (3, SIZES.stars)
  assert outputs[features.LIKED_HEAD].shape == (3, 1)
  np.testing.assert_allclose(
      tf.reduce_sum(outputs[features.STARS_HEAD], axis=1), 1.0, rtol=1e-5)


def test_no_head_name_is_a_prefix_of_another():
  heads = (features.RATING_HEAD, features.STARS_HEAD, features.LIKED_HEAD)
  for a in heads:
    for b in heads:
      assert a == b or not b.startswith(a)


def test_without_svd_plus_plus_the_tower_alone_gives_the_rating():
  config = hyperparameters.ModelConfig(factor_dim=0)
  model = ranking_model.build_ranking_model(SIZES, config)
  assert 'svd_plus_plus' not in {layer.name for layer in model.layers}
  assert model(_batch([[1], []]))[features.RATING_HEAD].shape == (2, 1)


@pytest.mark.parametrize('config', [
    hyperparameters.ModelConfig(),
    hyperparameters.ModelConfig(history_decays=(1.0, 0.5), newest_movies=2),
    hyperparameters.ModelConfig(factor_dim=0, use_history_ratings=False),
    hyperparameters.ModelConfig(dense_table_max_users=0),
])
def test_a_packed_model_gives_the_mean_of_its_members_heads(config):
  members = [ranking_model.build_ranking_model(SIZES, config)
             for _ in range(3)]
  packed = ranking_model.packed_model(members, SIZES, config)
  batch = _batch([[1, 2], [3], [], [4, 5, 6]], [[1], [2, 3], [], [4]])
  for head in features.HEADS:
    np.testing.assert_allclose(
        packed(batch)[head],
        np.mean([member(batch)[head] for member in members], axis=0),
        rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(
      ranking_model.representation_model(packed)(batch)['user_representation'],
      ranking_model.representation_model(members[0])(batch)[
          'user_representation'], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('newest_movies', [0, 2])
def test_the_movie_table_is_only_read_densely(newest_movies):
  # One sparse read would make TF copy the whole table on every dense read
  # (ranking_model.DenselyReadEmbedding).
  config = hyperparameters.ModelConfig(newest_movies=newest_movies)
  model = ranking_model.build_ranking_model(SIZES, config, members=2)
  graph = tf.function(model).get_concrete_function(_batch([[1, 2]])).graph
  table = model.get_layer('movie_embedding').embeddings
  handle, = [inner for outer, inner in graph.captures
             if outer is table.handle]
  readers = {op.type for op in graph.get_operations()
             if any(input is handle for input in op.inputs)}
  assert readers == {'ReadVariableOp'}


def test_the_blend_mixes_the_ratings_and_moves_the_liked_log_odds():
  config = hyperparameters.ModelConfig(autorec_weight=0.4,
                                       autorec_liked_weight=1.5)
  members = ranking_model.build_ranking_model(SIZES, config, members=2)
  layer = autorec.AutoRecRating(SIZES.user, SIZES.movie, 4)
  layer.movie_codes.assign(tf.random.uniform([SIZES.movie, 4]))
  layer.user_weights.assign(tf.random.uniform([SIZES.user, 4]))
  blended = ranking_model.blended_model(members, layer, config)
  batch = _batch([[1, 2], [3], []])
  batch[features.USER_INDEX] = tf.constant([1, 2, 3], tf.int64)
  batch[features.MOVIE_INDEX] = tf.constant([4, 5, 6], tf.int64)
  own, heads = members(batch), blended(batch)
  other = layer(batch[features.USER_INDEX], batch[features.MOVIE_INDEX])
  rating = own[features.RATING_HEAD]
  np.testing.assert_allclose(heads[features.RATING_HEAD],
                             0.6 * rating + 0.4 * other, rtol=1e-5)
  liked = own[features.LIKED_HEAD]
  np.testing.assert_allclose(
      heads[features.LIKED_HEAD],
      tf.sigmoid(tf.math.log(liked / (1 - liked)) + 1.5 * (other - rating)),
      rtol=1e-4)
  np.testing.assert_allclose(heads[features.STARS_HEAD],
                             own[features.STARS_HEAD])
  np.testing.assert_allclose(
      ranking_model.representation_model(blended)(batch)['user_representation'],
      ranking_model.representation_model(members)(batch)['user_representation'])


def _table_gradients(config: hyperparameters.ModelConfig) -> list:
  model = ranking_model.build_ranking_model(SIZES, config)
  tables = [layer.embeddings for layer in model.submodules
            if isinstance(layer, tf.keras.layers.Embedding)]
  with tf.GradientTape() as tape:
    outputs = model(_batch([[3, 7], [7]], [[1, 2], []]), training=True)
    loss = tf.reduce_sum(outputs[features.RATING_HEAD]) + tf.add_n(
        model.losses)
  return tape.gradient(loss, tables)


def test_above_dense_table_max_users_every_table_gradient_names_rows():
  config = hyperparameters.ModelConfig(dense_table_max_users=SIZES.user - 2)
  assert ranking_model.sparse_table_updates(SIZES, config)
  gradients = _table_gradients(config)
  # Movie, user, genre, four demographic and six SVD++ tables.
  assert len(gradients) == 13
  assert all(isinstance(gradient, tf.IndexedSlices) for gradient in gradients)


def test_at_most_dense_table_max_users_the_penalized_tables_are_dense():
  config = hyperparameters.ModelConfig(dense_table_max_users=SIZES.user - 1)
  assert not ranking_model.sparse_table_updates(SIZES, config)
  assert any(not isinstance(gradient, tf.IndexedSlices)
             for gradient in _table_gradients(config))
