"""Trains the ranking model with a bare tf.data + Keras loop, outside TFX.

Two uses: the reference the Trainer's throughput is compared against (same
model, same input pipeline, no pipeline around it), and fast hyperparameter
search on a validation carve-out of the train split (benchmarks/carve_outs.py:
every 10th example for random90, each user's newest tenth for temporal, its
ratings hidden as eval's are), never on eval. `--eval` adds the eval split's figures and serving latency
for the ablation table in docs/benchmarks.md: reported, never chosen by.

  .venv/bin/python -m benchmarks.bare_trainer --pipeline-root ROOT \\
      [--config '{"epochs": 4}'] [--carve-out every10|newest10] [--eval]

ROOT is a run's pipeline root (e.g. OUT/tfx/pipeline_root): its newest
Transform graph and its newest raw Examples' train split, which the loop
transforms itself as the Trainer does.
"""

import argparse
import json
import os
import tempfile
import time


import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import carve_outs
from benchmarks import serving_quality
from components.ingestion import outputs
from contract import features
from contract import paths
from contract import splits
from models import distribution
from models import hyperparameters
from models import ranking_model
from models import signatures
from models import tasks
from models import training
from serving import scoring

def latest_transform_graph(pipeline_root: str) -> tft.TFTransformOutput:
  """A run's newest Transform graph."""
  return tft.TFTransformOutput(paths.latest_output(
      pipeline_root, paths.TRANSFORM, 'transform_graph'))


def latest_sizes(pipeline_root: str) -> ranking_model.VocabularySizes:
  """The table sizes of a run's newest Transform graph and ingested format."""
  return training.vocabulary_sizes(latest_transform_graph(pipeline_root),
                                   scoring.ingested_format(pipeline_root))


def latest_raw_files(pipeline_root: str, split: str) -> list[str]:
  """A split's files pattern of a run's newest ingested Examples."""
  examples = paths.latest_output(pipeline_root, paths.INGESTION, 'examples')
  return [os.path.join(paths.split_dir(examples, split), '*')]


def quality(model: tf.keras.Model, data: training.Features,
            batch_size: int) -> dict[str, float]:
  """RMSE and AUC(liked), computed as serving_quality.py computes them."""
  batches = training.in_order_batches(data, batch_size).map(
      lambda batch: tasks.split_labels(batch)[0])
  figures = serving_quality.head_quality(
      model.predict(batches, verbose=0),
      data[features.RATING_LABEL].numpy().reshape(-1))
  return {name: round(figures[name], 4) for name in ('rmse', 'auc_liked')}


def fit(data: training.Features, sizes: ranking_model.VocabularySizes,
        config: hyperparameters.ModelConfig,
        validation: tf.data.Dataset | None = None
        ) -> tuple[tf.keras.Model, list[dict[str, list[float]]]]:
  """A ranking model trained on in-memory transformed examples, as the Trainer trains it.

  They are saved to a scratch directory and read back as the Trainer reads
  its split.

  Also each member's per-epoch Keras logs.
  """
  logs = []

  def fit_member(member: tf.keras.Model, batches: distribution.Batches,
                 _: int) -> None:
    logs.append(member.fit(batches.dataset,
                           steps_per_epoch=batches.steps_per_epoch,
                           epochs=config.epochs, verbose=2,
                           validation_data=validation).history)

  with tempfile.TemporaryDirectory(prefix='ytdnn-bare-split-') as scratch:
    examples = training.save_blocks(tf.data.Dataset.from_tensor_slices(
        data).batch(training.TRANSFORM_CHUNK), scratch)
    model = training.train_ranking_model(
        examples, lambda: data, sizes, config, fit_member,
        tf.distribute.get_strategy())
  return model, logs


def train(pipeline_root: str, config: hyperparameters.ModelConfig,
          carve_out: str | None, on_eval: bool) -> dict:
  """Trains on train (minus `carve_out`, if named); returns metrics.

  Batches come from the Trainer's own input pipeline, so the two loops differ
  only by what TFX adds around training. `transform_s` is the one-off read,
  parse and transform of the split, `fit_s` the epochs. `on_eval` also
  measures the model on the eval split, and serving_default's latency on
  its examples: figures to report, never to choose by.
  """
  tf_transform_output = latest_transform_graph(pipeline_root)
  started = time.monotonic()
  data = training.transform_in_memory(
      training.raw_records(latest_raw_files(pipeline_root,
                                            splits.TRAIN_SPLIT)),
      tf_transform_output, with_positions=carve_out is not None)
  transform_s = time.monotonic() - started
  validation = None
  if carve_out:
    carved = carve_outs.split(data, carve_out)
    data = carved.rest
    validation = training.in_order_batches(
        carved.held_out, config.batch_size).map(tasks.split_labels)
  started = time.monotonic()
  model, logs = fit(data, latest_sizes(pipeline_root), config, validation)
  seconds = time.monotonic() - started
  examples_seen = training.num_examples(data) * config.epochs
  result = {'transform_s': transform_s, 'fit_s': seconds,
            'examples_per_s': examples_seen * config.ensemble_size / seconds,
            'train_loss': [log['loss'][-1] for log in logs]}
  # Per member and epoch, so one run shows where the carve-out's figures
  # peak; fit_s then includes the carve-out's evaluations.
  if carve_out:
    for name in ('val_rating_rmse', 'val_liked_auc'):
      result[name] = [[round(value, 4) for value in log[name]]
                      for log in logs]
    result['carve_out'] = quality(model, carved.held_out, config.batch_size)
    # The cost of the rule to a model, which at serving knows every rating.
    result['carve_out_revealed'] = quality(model, carved.held_out_revealed,
                                           config.batch_size)
  if on_eval:
    records = training.raw_records(latest_raw_files(pipeline_root,
                                                    splits.EVAL_SPLIT))
    result['eval'] = quality(
        model, training.transform_in_memory(records, tf_transform_output),
        config.batch_size)
    serve = signatures.make_signatures(
        model, tf_transform_output)[signatures.SERVING_DEFAULT]
    rows = outputs.deserialize_examples(
        [record.numpy() for record in records.take(10_000)])
    result.update({name: round(value, 2) for name, value in
                   serving_quality.request_latencies(
                       serve, rows, scoring.load_schema(
                           scoring.ingested_format(pipeline_root))).items()})
  return result


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--pipeline-root', required=True)
  parser.add_argument('--config', default='{}',
                      help='JSON of ModelConfig fields to override')
  parser.add_argument('--carve-out', choices=carve_outs.CARVE_OUTS,
                      help='hold out this carve-out of train and report on it')
  parser.add_argument('--eval', action='store_true',
                      help='also measure on the eval split (never to choose)')
  args = parser.parse_args()
  overrides = json.loads(args.config)
  config = hyperparameters.ModelConfig.with_overrides(overrides)
  print(json.dumps({'config': overrides,
                    **train(args.pipeline_root, config, args.carve_out,
                          args.eval)}))


if __name__ == '__main__':
  main()
