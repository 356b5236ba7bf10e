"""The Trainer's input pipeline and table sizes, on the shared sample run.

The Trainers read the run's raw ingested examples and apply its Transform
graph themselves, as `training.transform_in_memory` does here.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import bare_trainer
from contract import features
from contract import paths
from contract import splits
from models import tasks
from models import training


@pytest.fixture(scope='module')
def graph(run) -> tft.TFTransformOutput:
  return bare_trainer.latest_transform_graph(
      paths.pipeline_root(run.output_dir))


@pytest.fixture(scope='module')
def raw_files(run) -> list[str]:
  return bare_trainer.latest_raw_files(
      paths.pipeline_root(run.output_dir), splits.TRAIN_SPLIT)


@pytest.fixture(scope='module')
def data(graph, raw_files) -> training.Features:
  """The run's train split, transformed in memory."""
  return training.transform_in_memory(
      training.raw_records(raw_files), graph)


def _movie_order(dataset: tf.data.Dataset) -> list[int]:
  return [int(movie) for batch in dataset
          for movie in batch[features.MOVIE_INDEX].numpy()]


def test_every_raw_example_is_transformed_once_in_file_order(data, raw_files):
  raw_ratings = [
      int(tf.train.Example.FromString(record.numpy()).features.feature[
          features.RATING].int64_list.value[0])
      for record in training.raw_records(raw_files)]
  assert training.num_examples(data) == len(raw_ratings)
  np.testing.assert_array_equal(data[features.RATING_LABEL], raw_ratings)


def test_batches_hold_ragged_histories_with_their_ratings(data):
  batch = next(iter(training.shuffled_batches(data, batch_size=64)))
  history = batch[features.HISTORY_INDICES]
  ratings = batch[features.HISTORY_RATING_VALUES]
  assert isinstance(history, tf.RaggedTensor)
  np.testing.assert_array_equal(history.row_lengths(), ratings.row_lengths())
  assert set(np.unique(ratings.flat_values)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
  assert batch[features.MOVIE_INDEX].shape == (64,)


def test_every_epoch_sees_every_example_in_a_new_order(data):
  dataset = training.shuffled_batches(data, batch_size=256)
  first, second = _movie_order(dataset), _movie_order(dataset)
  assert sorted(first) == sorted(second)
  assert len(first) == training.num_examples(data)
  assert first != second


def test_in_order_batches_keep_the_stored_order(data):
  in_order = _movie_order(training.in_order_batches(data, 256))
  np.testing.assert_array_equal(in_order, data[features.MOVIE_INDEX])


def test_vocabulary_sizes_leave_one_row_for_unknown_values(graph):
  sizes = training.vocabulary_sizes(graph)
  assert sizes.movie == graph.vocabulary_size_by_name(
      features.MOVIE_VOCABULARY) + 1
  assert sizes.gender == 3, 'F, M and the OOV row'


def test_the_trainers_datasets_run_without_the_autotuning_thread(data):
  """Its sleep delayed the end of every fit by up to a minute (training.without_autotuning)."""
  for dataset in (
      training.shuffled_batches(data, 256).map(tasks.split_labels).prefetch(
          tf.data.AUTOTUNE),
      training.in_order_batches(data, 256).cache()):
    assert dataset.options().autotune.enabled is False
