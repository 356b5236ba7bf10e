"""Trains the ranking model with a bare tf.data + Keras loop, outside TFX.

Two uses: the reference the Trainer's throughput is compared against (same
model, same transformed data, no pipeline), and fast hyperparameter search on a
validation carve-out of the train split (every 10th example), never on eval.

  .venv/bin/python benchmarks/bare_trainer.py --transform-dir DIR \\
      [--config '{"epochs": 4}'] [--validate]

DIR is a Transform component's output directory holding transform_graph/ and
transformed_examples/ (e.g. OUT/tfx/pipeline_root/Transform).
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


def latest_transform(transform_dir: str
                     ) -> tuple[tft.TFTransformOutput, list[str]]:
  """A Transform output's newest graph and its transformed train files' pattern."""
  graph = tft.TFTransformOutput(
      latest_output(os.path.join(transform_dir, 'transform_graph', '*')))
  examples = latest_output(
      os.path.join(transform_dir, 'transformed_examples', '*'))
  return graph, [os.path.join(examples, 'Split-train', '*')]


def _dataset(files: list[str], tf_transform_output: tft.TFTransformOutput,
             config: configs.ModelConfig, part: str) -> tf.data.Dataset:
  """Transformed examples: `all`, the `carve-out` or the `rest` of a split.

  Batches come from the Trainer's own input pipeline, so the two loops differ
  only by what TFX adds around training.
  """
  records = trainer_module.transformed_records(files)
  if part != 'all':
    in_carve_out = part == 'carve-out'
    records = records.enumerate().filter(
        lambda i, _: tf.equal(i % VALIDATION_EVERY == 0, in_carve_out)).map(
            lambda _, record: record)
  return trainer_module.transformed_batches(
      records.cache(), tf_transform_output, config.batch_size,
      config.shuffle_buffer_size).map(
          tasks.split_labels,
          num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def train(transform_dir: str, config: configs.ModelConfig,
          validate: bool) -> dict:
  """Trains on train (minus the carve-out when validating); returns metrics."""
  tf_transform_output, train_files = latest_transform(transform_dir)
  train_data = _dataset(train_files, tf_transform_output, config,
                        'rest' if validate else 'all')
  validation = (_dataset(train_files, tf_transform_output, config,
                         'carve-out') if validate else None)
  model = ranking_model.build_ranking_model(
      trainer_module.vocabulary_sizes(tf_transform_output), config)
  trainer_module.compile_model(model, config)
  started = time.monotonic()
  history = model.fit(train_data, epochs=config.epochs, verbose=2,
                      validation_data=validation)
  seconds = time.monotonic() - started
  examples_seen = int(train_data.unbatch().reduce(
      0, lambda count, _: count + 1)) * config.epochs
  result = {'fit_s': seconds, 'examples_per_s': examples_seen / seconds,
            'train_loss': history.history['loss'][-1]}
  # Per epoch, so one run shows where the carve-out's figures peak; fit_s
  # then includes the carve-out's evaluations.
  result.update({name: [round(value, 4) for value in values]
                 for name, values in history.history.items()
                 if name.startswith('val_')})
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--transform-dir', required=True)
  parser.add_argument('--config', default='{}',
                      help='JSON of ModelConfig fields to override')
  parser.add_argument('--validate', action='store_true',
                      help='hold out every 10th train example and report on it')
  args = parser.parse_args()
  overrides = json.loads(args.config)
  config = configs.ModelConfig.with_overrides(overrides)
  print(json.dumps({'config': overrides,
                    **train(args.transform_dir, config, args.validate)}))


if __name__ == '__main__':
  main()
