"""Trains the ranking model with a bare tf.data + Keras loop, outside TFX.

Two uses: the reference the Trainer's throughput is compared against (same
model, same input pipeline, no pipeline around it), and fast hyperparameter
search on a validation carve-out of the train split (every 10th example),
never on eval.

  .venv/bin/python benchmarks/bare_trainer.py --pipeline-root ROOT \\
      [--config '{"epochs": 4}'] [--validate]

ROOT is a run's pipeline root (e.g. OUT/tfx/pipeline_root): its newest
Transform graph and its newest raw Examples' train split, which the loop
transforms itself as the Trainer does.
"""

import argparse
import glob
import json
import os
import time

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

# pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf
import tensorflow_transform as tft

import trainer_module
from models import ranking_model
from models import tasks
from pipeline import configs

VALIDATION_EVERY = 10


def latest_output(pattern: str) -> str:
  """The newest execution's directory among a component output's."""
  return max(glob.glob(pattern), key=lambda p: int(p.rstrip('/').split('/')[-1]))


def latest_transform_graph(pipeline_root: str) -> tft.TFTransformOutput:
  """A run's newest Transform graph."""
  return tft.TFTransformOutput(latest_output(
      os.path.join(pipeline_root, 'Transform', 'transform_graph', '*')))


def latest_raw_train_files(pipeline_root: str) -> list[str]:
  """The train files' pattern of a run's newest raw Examples artifact.

  Found by its output key, `examples`, whichever component wrote it.
  """
  examples = latest_output(os.path.join(pipeline_root, '*', 'examples', '*'))
  return [os.path.join(examples, f'Split-{configs.TRAIN_SPLIT}', '*')]


def _ranking_batches(batches: tf.data.Dataset) -> tf.data.Dataset:
  return batches.map(tasks.split_labels,
                     num_parallel_calls=tf.data.AUTOTUNE).prefetch(
                         tf.data.AUTOTUNE)


def train(pipeline_root: str, config: configs.ModelConfig,
          validate: bool) -> dict:
  """Trains on train (minus the carve-out when validating); returns metrics.

  Batches come from the Trainer's own input pipeline, so the two loops differ
  only by what TFX adds around training. `transform_s` is the one-off read,
  parse and transform of the split, `fit_s` the epochs.
  """
  tf_transform_output = latest_transform_graph(pipeline_root)
  started = time.monotonic()
  data = trainer_module.transform_in_memory(
      trainer_module.raw_records(latest_raw_train_files(pipeline_root)),
      tf_transform_output)
  transform_s = time.monotonic() - started
  validation = None
  if validate:
    positions = tf.range(trainer_module.num_examples(data), dtype=tf.int64)
    in_carve_out = positions % VALIDATION_EVERY == 0
    validation = _ranking_batches(trainer_module.in_order_batches(
        trainer_module.take(data, positions[in_carve_out]), config.batch_size))
    data = trainer_module.take(data, positions[~in_carve_out])
  model = ranking_model.build_ranking_model(
      trainer_module.vocabulary_sizes(tf_transform_output), config)
  trainer_module.compile_model(model, config)
  started = time.monotonic()
  history = model.fit(
      _ranking_batches(trainer_module.shuffled_batches(data,
                                                       config.batch_size)),
      epochs=config.epochs, verbose=2, validation_data=validation)
  seconds = time.monotonic() - started
  examples_seen = trainer_module.num_examples(data) * config.epochs
  result = {'transform_s': transform_s, 'fit_s': seconds,
            'examples_per_s': examples_seen / seconds,
            'train_loss': history.history['loss'][-1]}
  # Per epoch, so one run shows where the carve-out's figures peak; fit_s
  # then includes the carve-out's evaluations.
  result.update({name: [round(value, 4) for value in values]
                 for name, values in history.history.items()
                 if name.startswith('val_')})
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--pipeline-root', required=True)
  parser.add_argument('--config', default='{}',
                      help='JSON of ModelConfig fields to override')
  parser.add_argument('--validate', action='store_true',
                      help='hold out every 10th train example and report on it')
  args = parser.parse_args()
  overrides = json.loads(args.config)
  config = configs.ModelConfig.with_overrides(overrides)
  print(json.dumps({'config': overrides,
                    **train(args.pipeline_root, config, args.validate)}))


if __name__ == '__main__':
  main()
