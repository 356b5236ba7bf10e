"""Trains the ranking model with a bare tf.data + Keras loop, outside TFX.

Two uses: the reference the Trainer's throughput is compared against (same
model, same input pipeline, no pipeline around it), and fast hyperparameter
search on a validation carve-out of the train split (every 10th example),
never on eval.

  .venv/bin/python -m benchmarks.bare_trainer --pipeline-root ROOT \\
      [--config '{"epochs": 4}'] [--validate]

ROOT is a run's pipeline root (e.g. OUT/tfx/pipeline_root): its newest
Transform graph and its newest raw Examples' train split, which the loop
transforms itself as the Trainer does.
"""

import argparse
import json
import os
import time


import tensorflow as tf
import tensorflow_transform as tft

from contract import paths
from contract import splits
from models import hyperparameters
from models import ranking_model
from models import tasks
from models import training

VALIDATION_EVERY = 10


def latest_transform_graph(pipeline_root: str) -> tft.TFTransformOutput:
  """A run's newest Transform graph."""
  return tft.TFTransformOutput(paths.latest_output(
      pipeline_root, paths.TRANSFORM, 'transform_graph'))


def latest_raw_train_files(pipeline_root: str) -> list[str]:
  """The train files' pattern of a run's newest ingested Examples."""
  examples = paths.latest_output(pipeline_root, paths.INGESTION, 'examples')
  return [os.path.join(paths.split_dir(examples, splits.TRAIN_SPLIT), '*')]


def _ranking_batches(batches: tf.data.Dataset) -> tf.data.Dataset:
  return batches.map(tasks.split_labels,
                     num_parallel_calls=tf.data.AUTOTUNE).prefetch(
                         tf.data.AUTOTUNE)


def fit(data: training.Features, tf_transform_output: tft.TFTransformOutput,
        config: hyperparameters.ModelConfig,
        validation: tf.data.Dataset | None = None
        ) -> tuple[tf.keras.Model, tf.keras.callbacks.History]:
  """A ranking model trained on in-memory transformed examples, as the Trainer trains it."""
  model = ranking_model.build_ranking_model(
      training.vocabulary_sizes(tf_transform_output), config)
  training.compile_ranking_model(model, config)
  history = model.fit(
      _ranking_batches(training.shuffled_batches(data, config.batch_size)),
      epochs=config.epochs, verbose=2, validation_data=validation)
  return model, history


def train(pipeline_root: str, config: hyperparameters.ModelConfig,
          validate: bool) -> dict:
  """Trains on train (minus the carve-out when validating); returns metrics.

  Batches come from the Trainer's own input pipeline, so the two loops differ
  only by what TFX adds around training. `transform_s` is the one-off read,
  parse and transform of the split, `fit_s` the epochs.
  """
  tf_transform_output = latest_transform_graph(pipeline_root)
  started = time.monotonic()
  data = training.transform_in_memory(
      training.raw_records(latest_raw_train_files(pipeline_root)),
      tf_transform_output)
  transform_s = time.monotonic() - started
  validation = None
  if validate:
    positions = tf.range(training.num_examples(data), dtype=tf.int64)
    in_carve_out = positions % VALIDATION_EVERY == 0
    validation = _ranking_batches(training.in_order_batches(
        training.take(data, positions[in_carve_out]), config.batch_size))
    data = training.take(data, positions[~in_carve_out])
  started = time.monotonic()
  _, history = fit(data, tf_transform_output, config, validation)
  seconds = time.monotonic() - started
  examples_seen = training.num_examples(data) * config.epochs
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
  config = hyperparameters.ModelConfig.with_overrides(overrides)
  print(json.dumps({'config': overrides,
                    **train(args.pipeline_root, config, args.validate)}))


if __name__ == '__main__':
  main()
