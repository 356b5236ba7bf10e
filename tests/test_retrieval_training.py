"""The retrieval Trainer's batches, on the shared sample run's raw train split."""

import numpy as np
import tensorflow as tf

from benchmarks import bare_trainer
from contract import paths
from models import hyperparameters
from models import retrieval_model
from models import retrieval_training
from models import training

# Batches so small and a carve-out so thin that most batches of the split
# would hold no carve-out example at all.
CONFIG = hyperparameters.RetrievalConfig(batch_size=16, validation_modulus=200)


def _parts(run) -> tuple[training.Features, training.Features]:
  root = paths.pipeline_root(run.output_dir)
  return retrieval_training.split_carve_out(
      training.transform_in_memory(
          training.raw_records(bare_trainer.latest_raw_train_files(root)),
          bare_trainer.latest_transform_graph(root)),
      CONFIG)


def _target_counts(dataset: tf.data.Dataset) -> list[int]:
  return [int(tf.size(targets)) for _, targets in dataset]


def test_carve_out_batches_are_never_empty_and_the_parts_split_the_data(run):
  rest, carve_out = _parts(run)
  validation = _target_counts(
      retrieval_training.validation_batches(carve_out, CONFIG))
  train = _target_counts(
      retrieval_training.training_batches(rest, CONFIG))
  assert validation and min(validation) > 0
  assert sum(validation) < sum(train) / 50
  assert max(train) == CONFIG.batch_size
  assert sum(validation) + sum(train) == (
      training.num_examples(rest) + training.num_examples(carve_out))


def test_training_batches_are_user_inputs_and_target_movies(run):
  rest, _ = _parts(run)
  inputs, targets = next(iter(
      retrieval_training.training_batches(rest, CONFIG)))
  assert set(inputs) == set(retrieval_model.USER_INPUT_NAMES)
  assert targets.dtype == tf.int64
  assert np.all(targets.numpy() >= 0)
