"""The Trainer's input pipeline and table sizes, on the shared sample run.

The Trainers read the run's raw ingested examples and apply its Transform
graph themselves, as `training.transformed_chunks` does here; the ranking
Trainer saves them to disk and reads them back every epoch.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import bare_trainer
from contract import features
from contract import formats
from contract import paths
from contract import splits
from models import distribution
from models import hyperparameters
from models import lazy_adam
from models import ranking_model
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


@pytest.fixture(scope='module')
def saved(data, tmp_path_factory) -> training.SavedExamples:
  """The same examples, saved in blocks as the ranking Trainer saves them."""
  return training.save_blocks(
      tf.data.Dataset.from_tensor_slices(data).batch(1000),
      str(tmp_path_factory.mktemp('saved') / 'split'))


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


def test_batches_hold_ragged_histories_with_their_ratings(saved):
  batch = next(iter(training.shuffled_blocks(saved, batch_size=64)))
  history = batch[features.HISTORY_INDICES]
  ratings = batch[features.HISTORY_RATING_VALUES]
  assert isinstance(history, tf.RaggedTensor)
  np.testing.assert_array_equal(history.row_lengths(), ratings.row_lengths())
  assert set(np.unique(ratings.flat_values)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
  assert batch[features.MOVIE_INDEX].shape == (64,)


def test_saved_blocks_hold_every_example_once(data, saved):
  assert saved.count == training.num_examples(data)
  np.testing.assert_array_equal(
      _movie_order(tf.data.Dataset.load(saved.directory)),
      data[features.MOVIE_INDEX])


def test_every_epoch_sees_every_saved_example_in_a_new_order(data, saved):
  dataset = training.shuffled_blocks(saved, batch_size=256)
  first, second = _movie_order(dataset), _movie_order(dataset)
  assert sorted(first) == sorted(second) == sorted(
      data[features.MOVIE_INDEX].numpy().tolist())
  assert first != second
  again = _movie_order(training.shuffled_blocks(saved, batch_size=256))
  assert again == first, 'a seed repeats its orders'


def test_a_batch_size_must_be_made_of_whole_blocks(saved):
  with pytest.raises(ValueError, match='multiple of the 64 examples'):
    training.shuffled_blocks(saved, batch_size=100)


def test_in_memory_batches_see_every_example_in_a_new_order(data):
  dataset = training.shuffled_batches(data, batch_size=256)
  first, second = _movie_order(dataset), _movie_order(dataset)
  assert sorted(first) == sorted(second)
  assert len(first) == training.num_examples(data)
  assert first != second


def test_workers_shards_take_every_batch_once_in_as_many_batches():
  data = {features.MOVIE_INDEX: tf.range(1001, dtype=tf.int64)}
  whole = [batch[features.MOVIE_INDEX].numpy().tolist()
           for batch in training.shuffled_batches(data, batch_size=100)]
  shards = [[batch[features.MOVIE_INDEX].numpy().tolist()
             for batch in training.shuffled_batches(
                 data, batch_size=100, shard=distribution.Shard(index, 3))]
            for index in range(3)]
  assert len(whole) == 11
  # The last batch holds one example, fewer than the workers: left out.
  assert [len(shard) for shard in shards] == [10, 10, 10]
  for place, batch in enumerate(whole[:10]):
    assert sorted(sum((shard[place] for shard in shards), [])) == sorted(batch)
  assert training.batches_per_epoch(1001, 100, distribution.Shard(0, 3)) == 10


def test_in_order_batches_keep_the_stored_order(data):
  in_order = _movie_order(training.in_order_batches(data, 256))
  np.testing.assert_array_equal(in_order, data[features.MOVIE_INDEX])


def test_vocabulary_sizes_leave_one_row_for_unknown_values(graph):
  sizes = training.vocabulary_sizes(graph, formats.ML_1M)
  assert sizes.movie == graph.vocabulary_size_by_name(
      features.MOVIE_VOCABULARY) + 1
  assert sizes.demographics[features.GENDER_INDEX] == 3, (
      'F, M and the OOV row')


def test_the_trainers_datasets_run_without_the_autotuning_thread(data, saved):
  """Its sleep delayed the end of every fit by up to a minute (training.without_autotuning)."""
  for dataset in (
      training.ranking_batches(saved, 256),
      training.shuffled_batches(data, 256).map(tasks.split_labels).prefetch(
          tf.data.AUTOTUNE),
      training.in_order_batches(data, 256).cache()):
    assert dataset.options().autotune.enabled is False


def _rated_batch(lengths: list[int]) -> dict:
  return {features.HISTORY_RATING_VALUES: tf.ragged.constant(
      [[float(place % 5 + 1) for place in range(length)]
       for length in lengths], dtype=tf.float32, row_splits_dtype=tf.int64)}


def test_hiding_newest_ratings_hides_a_newest_run_of_each_chosen_history():
  lengths = [1, 3, 7, 0, 50] * 40
  batch = _rated_batch(lengths)
  hidden = training.hide_newest_ratings(batch, 1.0, tf.constant(3))
  chosen_any = False
  for before, after in zip(batch[features.HISTORY_RATING_VALUES].to_list(),
                           hidden[features.HISTORY_RATING_VALUES].to_list()):
    known = [value != features.UNKNOWN_RATING for value in after]
    assert known == sorted(known, reverse=True), after
    assert [value for value in after if value] == before[:sum(known)]
    if before:
      assert not known[-1]
      chosen_any = True
  assert chosen_any


def test_hiding_no_share_changes_nothing_and_a_seed_repeats():
  batch = _rated_batch([4, 9, 2] * 50)
  same = training.hide_newest_ratings(batch, 0.0, tf.constant(1))
  assert (same[features.HISTORY_RATING_VALUES].to_list() ==
          batch[features.HISTORY_RATING_VALUES].to_list())
  half = [training.hide_newest_ratings(batch, 0.5, tf.constant(seed))[
      features.HISTORY_RATING_VALUES].to_list() for seed in (2, 2, 5)]
  assert half[0] == half[1] != half[2]
  hidden_rows = sum(row[-1] == features.UNKNOWN_RATING for row in half[0])
  assert 40 < hidden_rows < 110


def test_ranking_batches_hide_newest_ratings_when_asked(saved):
  inputs, _ = next(iter(training.ranking_batches(
      saved, batch_size=256, hidden_ratings_share=1.0)))
  ratings = inputs[features.HISTORY_RATING_VALUES]
  newest = [row[-1] for row in ratings.to_list() if row]
  assert newest and set(newest) == {features.UNKNOWN_RATING}


@pytest.mark.parametrize('max_users, optimizer', [
    (2**40, tf.keras.optimizers.Adam), (0, lazy_adam.LazyAdam)])
def test_tables_updated_row_wise_get_lazy_adam(max_users, optimizer):
  sizes = ranking_model.VocabularySizes(
      movie=20, user=10, genre=5, demographics={},
      stars=formats.HALF_STARS.num_values)
  config = hyperparameters.ModelConfig(dense_table_max_users=max_users)
  model = ranking_model.build_ranking_model(sizes, config)
  training.compile_ranking_model(model, sizes, config)
  assert type(model.optimizer) is optimizer
