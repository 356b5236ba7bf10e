"""The retrieval Trainer's batches, on the shared sample run's raw train split."""

import numpy as np
import tensorflow as tf

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


def _batches(run) -> tuple[tf.data.Dataset, tf.data.Dataset, int]:
  """(training, validation) batches as the Trainer builds them, and the split's size."""
  root = paths.pipeline_root(run.output_dir)
  tf_transform_output = bare_trainer.latest_transform_graph(root)
  data = retrieval_training.transformed_split(
      training.raw_records(bare_trainer.latest_raw_files(root, splits.TRAIN_SPLIT)),
      tf_transform_output)
  chosen = retrieval_training.in_validation(data, CONFIG.validation_modulus)
  chunks = retrieval_training.sequence_chunks(
      data, np.logical_not(chosen.numpy()), CONFIG)
  return (retrieval_training.sequence_batches(data, chunks, CONFIG),
          retrieval_training.validation_batches(
              retrieval_training.validation_carve_out(data, chosen), CONFIG),
          training.num_examples(data))


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
