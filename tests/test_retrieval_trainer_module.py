"""The retrieval Trainer's batches, on the shared sample run's Transform output."""

import os

import tensorflow as tf

import retrieval_trainer_module
from benchmarks import bare_trainer
from pipeline import configs

# Batches so small and a carve-out so thin that most batches hold no
# carve-out example at all.
CONFIG = configs.RetrievalConfig(batch_size=16, shuffle_buffer_size=100,
                                 validation_modulus=200)


def _batches(run, validation: bool) -> tf.data.Dataset:
  graph, train_patterns = bare_trainer.latest_transform(
      os.path.join(configs.pipeline_root(run.output_dir), 'Transform'))
  return retrieval_trainer_module.retrieval_batches(
      train_patterns, graph, CONFIG, validation)


def _target_counts(dataset: tf.data.Dataset) -> list[int]:
  return [int(tf.size(targets)) for _, targets in dataset]


def test_carve_out_batches_are_never_empty_and_the_parts_split_the_data(run):
  carve_out = _target_counts(_batches(run, validation=True))
  rest = _target_counts(_batches(run, validation=False))
  assert carve_out and min(carve_out) > 0
  assert sum(carve_out) < sum(rest) / 50
  assert max(rest) == CONFIG.batch_size
