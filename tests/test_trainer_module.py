"""The Trainer's input pipeline and table sizes, on the shared sample run's Transform output."""

import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

import trainer_module
from benchmarks import bare_trainer
from pipeline import configs
from pipeline import features


@pytest.fixture(scope='module')
def transform(run) -> tuple[tft.TFTransformOutput, list[str]]:
  """The run's Transform graph and its transformed train files' pattern."""
  return bare_trainer.latest_transform(
      os.path.join(configs.pipeline_root(run.output_dir), 'Transform'))


def _movie_order(dataset: tf.data.Dataset) -> list[int]:
  return [int(movie) for batch in dataset
          for movie in batch[features.MOVIE_INDEX].numpy()]


def test_batches_hold_ragged_histories_with_their_ratings(transform):
  graph, patterns = transform
  batch = next(iter(trainer_module.transformed_batches(
      trainer_module.transformed_records(patterns), graph, batch_size=64,
      shuffle_buffer_size=1000)))
  history = batch[features.HISTORY_INDICES]
  ratings = batch[features.HISTORY_RATING_VALUES]
  assert isinstance(history, tf.RaggedTensor)
  np.testing.assert_array_equal(history.row_lengths(), ratings.row_lengths())
  assert set(np.unique(ratings.flat_values)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
  assert batch[features.MOVIE_INDEX].shape == (64,)


def test_every_epoch_sees_every_example_in_a_new_order(transform):
  graph, patterns = transform
  dataset = trainer_module.transformed_batches(
      trainer_module.transformed_records(patterns), graph, batch_size=256,
      shuffle_buffer_size=100_000)
  first, second = _movie_order(dataset), _movie_order(dataset)
  assert sorted(first) == sorted(second)
  assert first != second


def test_vocabulary_sizes_leave_one_row_for_unknown_values(transform):
  graph, _ = transform
  sizes = trainer_module.vocabulary_sizes(graph)
  assert sizes.movie == graph.vocabulary_size_by_name(
      features.MOVIE_VOCABULARY) + 1
  assert sizes.gender == 3, 'F, M and the OOV row'
