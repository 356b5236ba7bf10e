"""The retrieval Trainer's batches, on the shared sample run's raw train split."""

import dataclasses

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import bare_trainer
from contract import features
from contract import paths
from contract import splits
from models import hyperparameters
from models import retrieval_model
from models import retrieval_sequences
from models import retrieval_training
from models import training

# Batches so small and a carve-out so thin that most batches of the split
# would hold no carve-out example at all.
CONFIG = hyperparameters.RetrievalConfig(
    batch_size=16, validation_modulus=200, chunk_length=8, chunks_per_batch=4)


def _train_records(run) -> tuple[tf.data.Dataset, tft.TFTransformOutput]:
  root = paths.pipeline_root(run.output_dir)
  return (training.raw_records(
      bare_trainer.latest_raw_files(root, splits.TRAIN_SPLIT)),
          bare_trainer.latest_transform_graph(root))


def _batches(run) -> tuple[tf.data.Dataset, tf.data.Dataset, int]:
  """(training, validation) batches as the Trainer builds them, and the split's size."""
  records, tf_transform_output = _train_records(run)
  split = retrieval_training.read_split(records, tf_transform_output,
                                        CONFIG.validation_modulus)
  chunks = retrieval_training.sequence_chunks(
      split.columns,
      retrieval_training.streamed_histories(records, tf_transform_output),
      ~split.in_validation, CONFIG)
  return (retrieval_training.sequence_batches(split.columns, chunks, CONFIG),
          retrieval_training.validation_batches(
              split.validation_carve_out(np.ones_like(split.in_validation)),
              CONFIG),
          training.num_examples(split.columns))


def _target_counts(dataset: tf.data.Dataset) -> list[int]:
  return [int(tf.size(targets)) for _, targets in dataset]


def test_every_example_is_a_training_or_a_validation_target_once(run):
  train, validation, examples = _batches(run)
  validation_counts = _target_counts(validation)
  train_counts = _target_counts(train)
  assert validation_counts and min(validation_counts) > 0
  assert min(train_counts) > 0
  assert sum(validation_counts) < sum(train_counts) / 50
  assert sum(validation_counts) + sum(train_counts) == examples


def test_sequence_batches_give_one_row_of_user_features_per_target(run):
  train, _, _ = _batches(run)
  inputs, targets = next(iter(train))
  assert set(inputs) == {
      *features.DEMOGRAPHIC_INDICES, *retrieval_model.USER_CONTINUOUS,
      retrieval_sequences.HISTORY_LENGTH, retrieval_sequences.WINDOW_MOVIES,
      retrieval_sequences.IS_TARGET}
  targets_in_chunks = int(tf.reduce_sum(tf.cast(
      inputs[retrieval_sequences.IS_TARGET], tf.int32)))
  assert targets.shape == (targets_in_chunks,)
  for name in (*features.DEMOGRAPHIC_INDICES,
               *retrieval_model.USER_CONTINUOUS,
               retrieval_sequences.HISTORY_LENGTH):
    assert inputs[name].shape == (targets_in_chunks,), name
  assert targets.dtype == tf.int64
  assert np.all(targets.numpy() >= 0)


def _expected_chunks(data: training.Features, trained: np.ndarray,
                     history_length: int, chunk_length: int
                     ) -> tuple[np.ndarray, np.ndarray]:
  """SequenceChunks' (movies, examples) of in-memory examples, place by place.

  After `history_length` empty places, each user's sequence in turn:
  `history_length` empty places, then one per rating up to its last
  example's; cut into chunks of `chunk_length` places with the
  `history_length` before them, those with a target kept.
  """
  users = data[features.USER_INDEX].numpy()
  positions = data[features.SEQUENCE_POSITION].numpy()
  movies = data[features.MOVIE_INDEX].numpy()
  histories = data[features.HISTORY_INDICES].to_list()
  sequence = [retrieval_sequences.NO_MOVIE] * history_length
  example_at = [retrieval_sequences.NO_EXAMPLE] * history_length
  for user in range(users.max() + 1):
    rows = np.flatnonzero(users == user)
    if not rows.size:
      continue
    start = len(sequence) + history_length
    places = history_length + positions[rows].max() + 1
    sequence += [retrieval_sequences.NO_MOVIE] * places
    example_at += [retrieval_sequences.NO_EXAMPLE] * places
    for row in rows:
      target = start + positions[row]
      sequence[target - len(histories[row]):target + 1] = [
          *histories[row], movies[row]]
      if trained[row]:
        example_at[target] = row
  padding = -(len(sequence) - history_length) % chunk_length
  sequence += [retrieval_sequences.NO_MOVIE] * padding
  example_at += [retrieval_sequences.NO_EXAMPLE] * padding
  chunks = [(sequence[start:start + history_length + chunk_length],
             example_at[start + history_length:
                        start + history_length + chunk_length])
            for start in range(0, len(sequence) - history_length,
                               chunk_length)]
  kept = [chunk for chunk in chunks
          if any(example != retrieval_sequences.NO_EXAMPLE
                 for example in chunk[1])]
  return (np.array([chunk[0] for chunk in kept], np.int64),
          np.array([chunk[1] for chunk in kept], np.int64))


def _dtypes_and_values(data: training.Features
                       ) -> dict[str, tuple[tf.DType, list]]:
  return {name: (value.dtype, value.to_list()
                 if isinstance(value, tf.RaggedTensor)
                 else value.numpy().tolist())
          for name, value in data.items()}


def test_streamed_chunks_and_inputs_equal_those_of_the_split_in_memory(
    run, monkeypatch):
  # Chunks of 500 examples, so the histories stream through in ten.
  monkeypatch.setattr(training, 'TRANSFORM_CHUNK', 500)
  config = dataclasses.replace(CONFIG, validation_modulus=20,
                               held_out_newest=2)
  records, tf_transform_output = _train_records(run)
  data = training.transform_in_memory(
      records, tf_transform_output,
      retrieval_training.transformed_names(tf_transform_output),
      with_positions=True)
  assert training.num_examples(data) > 5 * training.TRANSFORM_CHUNK
  held_out = splits.newest_per_user(
      data[features.USER_INDEX].numpy(),
      data[features.SEQUENCE_POSITION].numpy(), config.held_out_newest)
  chosen = retrieval_training.in_validation(
      data, config.validation_modulus).numpy()

  split = retrieval_training.read_split(records, tf_transform_output,
                                        config.validation_modulus)
  np.testing.assert_array_equal(split.in_validation, chosen)
  chunks = retrieval_training.sequence_chunks(
      split.columns,
      retrieval_training.streamed_histories(records, tf_transform_output),
      ~chosen & ~held_out, config)

  history_lengths = data[features.HISTORY_INDICES].row_lengths()
  movies, examples = _expected_chunks(
      data, ~chosen & ~held_out, int(tf.reduce_max(history_lengths)),
      config.chunk_length)
  assert chunks.movies.dtype == chunks.examples.dtype == np.int64
  np.testing.assert_array_equal(chunks.movies, movies)
  np.testing.assert_array_equal(chunks.examples, examples)

  inputs, targets = retrieval_training.chunk_inputs(split.columns)(
      chunks.as_features())
  rows = examples[examples != retrieval_sequences.NO_EXAMPLE]
  expected = training.take(
      {**{name: data[name] for name in (*features.DEMOGRAPHIC_INDICES,
                                        *retrieval_model.USER_CONTINUOUS,
                                        features.MOVIE_INDEX)},
       retrieval_sequences.HISTORY_LENGTH: history_lengths}, rows)
  expected_targets = expected.pop(features.MOVIE_INDEX)
  expected[retrieval_sequences.WINDOW_MOVIES] = tf.constant(movies)
  expected[retrieval_sequences.IS_TARGET] = tf.constant(
      examples != retrieval_sequences.NO_EXAMPLE)
  assert _dtypes_and_values(inputs) == _dtypes_and_values(expected)
  assert (_dtypes_and_values({'targets': targets}) ==
          _dtypes_and_values({'targets': expected_targets}))

  np.testing.assert_array_equal(splits.newest_per_user(
      split.columns[features.USER_INDEX].numpy(),
      split.columns[features.SEQUENCE_POSITION].numpy(),
      config.held_out_newest), held_out)
  assert _dtypes_and_values(split.validation_carve_out(~held_out)) == (
      _dtypes_and_values(retrieval_training.validation_carve_out(
          data, tf.constant(chosen & ~held_out))))
