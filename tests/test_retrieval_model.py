"""The retrieval model: user vector shapes, scores and training."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from contract import features
from contract import formats
from models import hyperparameters
from models import ranking_model
from models import retrieval_model
from models import retrieval_sequences
from models import retrieval_training
from models import tasks
from models import training

SIZES = ranking_model.VocabularySizes(
    movie=30, user=10, genre=5,
    demographics={features.GENDER_INDEX: 3, features.AGE_INDEX: 8,
                  features.OCCUPATION_INDEX: 22, features.ZIP_PREFIX_INDEX: 4},
    stars=formats.ML_1M.rating_scale.num_values)
CONFIG = hyperparameters.RetrievalConfig(
    movie_embedding_dim=8, hidden_units=(16,), user_vector_dim=6,
    num_sampled=5)


def _batch(histories: list[list[int]]) -> dict[str, tf.Tensor]:
  n = len(histories)
  batch = {name: tf.ones([n], tf.int64)
           for name in features.DEMOGRAPHIC_INDICES}
  batch[features.HISTORY_INDICES] = tf.ragged.constant(
      histories, dtype=tf.int64, row_splits_dtype=tf.int64)
  batch.update({name: tf.fill([n], 0.5)
                for name in retrieval_model.USER_CONTINUOUS})
  return batch


def test_user_vectors_and_scores_have_the_corpus_shape():
  model = retrieval_model.RetrievalModel(SIZES, CONFIG)
  users = model(_batch([[1, 2, 3], [], [4]]))
  assert users.shape == (3, CONFIG.user_vector_dim)
  scores = model.scores(users)
  assert scores.shape == (3, SIZES.movie)
  assert np.all(np.isneginf(scores[:, -1])), 'the OOV row is no candidate'
  assert np.all(np.isfinite(scores[:, :-1]))


def test_the_newest_history_movie_changes_the_user_vector():
  model = retrieval_model.RetrievalModel(SIZES, CONFIG)
  users = model(_batch([[1, 2, 3], [1, 3, 2]]))
  assert not np.allclose(users[0], users[1])


@pytest.mark.parametrize('time_since_previous', [True, False])
def test_the_time_since_the_previous_rating_is_read_only_when_switched_on(
    time_since_previous: bool):
  model = retrieval_model.RetrievalModel(SIZES, dataclasses.replace(
      CONFIG, time_since_previous=time_since_previous))
  recent, later = _batch([[1, 2]]), _batch([[1, 2]])
  later.update({f'{features.SECONDS_SINCE_PREVIOUS}{power}': tf.fill([1], 3.0)
                for power in features.CONTINUOUS_POWERS})
  moved = not np.allclose(model(recent), model(later))
  assert moved == time_since_previous


def _sequences(sequences: list[list[int]]) -> training.Features:
  """One transformed example per rating of each sequence, one user each."""
  examples = [(user, position, sequence[:position], movie)
              for user, sequence in enumerate(sequences)
              for position, movie in enumerate(sequence)]
  data = _batch([history for _, _, history, _ in examples])
  data[features.USER_INDEX] = tf.constant([e[0] for e in examples], tf.int64)
  data[features.SEQUENCE_POSITION] = tf.constant([e[1] for e in examples],
                                                 tf.int64)
  data[features.MOVIE_INDEX] = tf.constant([e[3] for e in examples], tf.int64)
  return data


def _sequence_chunks(data: training.Features,
                     config: hyperparameters.RetrievalConfig
                     ) -> tuple[training.Features,
                                retrieval_sequences.SequenceChunks]:
  """The in-memory examples' compact columns and chunks, every one a target."""
  columns = retrieval_training.compact_columns(data)
  return columns, retrieval_training.sequence_chunks(
      columns, [data[features.HISTORY_INDICES]],
      np.ones(training.num_examples(data), bool), config)


@pytest.mark.parametrize('full_softmax', [True, False])
def test_training_on_sequences_makes_each_next_movie_the_top_score(
    full_softmax: bool):
  tf.keras.utils.set_random_seed(0)
  config = hyperparameters.RetrievalConfig(
      movie_embedding_dim=8, hidden_units=(16,), user_vector_dim=6,
      full_softmax_max_movies=SIZES.movie if full_softmax else 0,
      num_sampled=20, chunk_length=4,
      chunks_per_batch=8)
  model = retrieval_model.RetrievalModel(SIZES, config)
  model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
  data = _sequences([[1, 2, 7], [3, 8], [4, 5, 6, 9]] * 20)
  columns, chunks = _sequence_chunks(data, config)
  history = model.fit(
      retrieval_training.sequence_batches(columns, chunks, config), epochs=30,
      verbose=0)
  assert history.history['loss'][-1] < history.history['loss'][0]
  top = tf.argmax(model.scores(model(_batch([[1, 2], [3], [4, 5, 6]]))),
                  axis=1)
  np.testing.assert_array_equal(top, [7, 8, 9])


def test_the_tower_gives_a_target_in_a_chunk_the_vector_of_its_example():
  rng = np.random.default_rng(1)
  data = _sequences([rng.integers(0, 29, size=length).tolist()
                     for length in (1, 9, 60, 4, 23)])
  data[features.GENDER_INDEX] = tf.constant(
      rng.integers(0, 3, size=training.num_examples(data)))
  config = hyperparameters.RetrievalConfig(
      movie_embedding_dim=8, hidden_units=(16,), user_vector_dim=6,
      chunk_length=16)
  model = retrieval_model.RetrievalModel(SIZES, config)
  columns, chunks = _sequence_chunks(data, config)
  inputs, _ = retrieval_training.chunk_inputs(columns)(chunks.as_features())
  rows = chunks.examples[chunks.examples != retrieval_sequences.NO_EXAMPLE]
  one_per_row = training.take(
      {name: data[name] for name in retrieval_model.USER_INPUT_NAMES}, rows)
  np.testing.assert_allclose(model.user_tower.from_sequence_chunks(inputs),
                             model(one_per_row), rtol=1e-5, atol=1e-6)
  assert sorted(rows) == list(range(training.num_examples(data)))


def test_the_validation_carve_out_is_a_fixed_share_and_selection_keeps_rows():
  users = tf.range(50, dtype=tf.int64)
  batch = {features.USER_INDEX: tf.repeat(users, 40),
           features.MOVIE_INDEX: tf.tile(tf.range(40, dtype=tf.int64), [50]),
           features.HISTORY_INDICES: tf.RaggedTensor.from_row_lengths(
               tf.range(2000, dtype=tf.int64), tf.ones([2000], tf.int64))}
  chosen = retrieval_training.in_validation(batch, 100)
  assert 0 < int(tf.reduce_sum(tf.cast(chosen, tf.int32))) < 60
  np.testing.assert_array_equal(
      chosen, retrieval_training.in_validation(batch, 100))
  kept = retrieval_training.select(batch, chosen)
  np.testing.assert_array_equal(kept[features.HISTORY_INDICES].flat_values,
                                tf.boolean_mask(tf.range(2000), chosen))


def test_validation_loss_is_the_full_softmax_cross_entropy():
  model = retrieval_model.RetrievalModel(SIZES, CONFIG)
  model.compile(optimizer=tf.keras.optimizers.Adam())
  inputs = _batch([[1, 2], [3]])
  targets = tf.constant([4, 5], tf.int64)
  logits = model.scores(model(inputs))
  expected = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=targets, logits=logits))
  np.testing.assert_allclose(
      model.evaluate(inputs, targets, verbose=0), expected, rtol=1e-5)


def test_split_target_keeps_the_user_side_only():
  transformed = _batch([[1]])
  transformed[features.MOVIE_INDEX] = tf.constant([4], tf.int64)
  transformed[features.RATING_LABEL] = tf.constant([5.0])
  inputs, target = retrieval_training.split_target(transformed)
  assert set(inputs) == set(retrieval_model.USER_INPUT_NAMES)
  np.testing.assert_array_equal(target, [4])


@pytest.mark.parametrize('vocabulary, task', [
    (5_000, tasks.FullSoftmaxRetrieval),
    (5_001, tasks.SampledSoftmaxRetrieval),
])
def test_the_softmax_turns_sampled_above_the_configured_vocabulary(vocabulary,
                                                                   task):
  sizes = dataclasses.replace(SIZES, movie=vocabulary + 1)  # and the OOV row
  config = hyperparameters.RetrievalConfig(full_softmax_max_movies=5_000)
  assert isinstance(retrieval_model.RetrievalModel(sizes, config).task, task)
