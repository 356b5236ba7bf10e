"""Trains the retrieval model outside TFX and scores it on a validation carve-out.

Hyperparameters are chosen here, never on the held-out targets: each user's
latest *train* rating is held out the way `last1` holds out the latest rating
overall, the model trains on the rest of the train split, and HR@K is read
through the same serving signature and ranking code the RetrievalEvaluator
uses. The model trains as the Trainer trains it, on chunks of the users'
sequences, with the held-out ratings left out as targets; as the latest of
their users, they are in no other example's history. Reads the raw examples
and the Transform graph of a finished run:

  .venv/bin/python -m benchmarks.tune_retrieval --output-dir OUT \\
      [--config '{"epochs": 6, "history_decays": [1.0, 0.0]}'] \\
      [--warm-start NEWEST EPOCHS]

`--warm-start` measures whether the served retriever could go on from the
impression retriever's weights instead of training from the start: on the
last1 carve-out it could not (results/retrieval_warm_start_last1.json,
docs/benchmarks.md section 6).
"""

import argparse
import dataclasses
import json
import time
from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import bare_trainer
from components import retrieval_evaluator
from contract import features
from contract import paths
from contract import retrieval_metrics
from contract import splits
from models import hyperparameters
from models import ranking_model
from models import retrieval_model
from models import retrieval_signatures
from models import retrieval_training
from models import signatures
from models import training


@dataclasses.dataclass(frozen=True)
class Holdout:
  """Train examples, which of them are held out, and the held-out targets.

  `data` is every example transformed once, so several configurations train
  on it without transforming it again.
  """
  tf_transform_output: tft.TFTransformOutput
  sizes: ranking_model.VocabularySizes
  data: training.Features
  held_out: np.ndarray
  targets: retrieval_evaluator.Targets


@dataclasses.dataclass(frozen=True)
class TrainedRetrieval:
  """A trained model's serving signature and the seconds its `fit` took."""
  serve: Callable[..., dict[str, tf.Tensor]]
  fit_s: float


def _subset(ratings: retrieval_evaluator.Ratings,
            keep: np.ndarray) -> retrieval_evaluator.Ratings:
  return retrieval_evaluator.Ratings(ratings.user_ids[keep],
                                     ratings.movie_ids[keep],
                                     ratings.earlier_counts[keep])


def _holdout(output_dir: str, serialized: list[bytes], held_out: np.ndarray,
             targets: retrieval_evaluator.Targets) -> Holdout:
  pipeline_root = paths.pipeline_root(output_dir)
  tf_transform_output = bare_trainer.latest_transform_graph(pipeline_root)
  return Holdout(
      tf_transform_output=tf_transform_output,
      sizes=bare_trainer.latest_sizes(pipeline_root),
      data=training.transform_in_memory(
          tf.data.Dataset.from_tensor_slices(serialized), tf_transform_output,
          retrieval_training.transformed_names(tf_transform_output),
          with_positions=True),
      held_out=held_out, targets=targets)


def carve_out(output_dir: str) -> Holdout:
  """A run's train split with each user's latest train rating held out."""
  train, serialized = retrieval_evaluator.read_split(
      paths.latest_ingested_split(output_dir, splits.TRAIN_SPLIT),
      keep_examples=True)
  carved = np.zeros(len(serialized), dtype=bool)
  carved[retrieval_evaluator.latest_per_user(train)] = True
  return _holdout(output_dir, serialized, carved,
                  retrieval_evaluator.held_out_targets(
                      _subset(train, ~carved), _subset(train, carved),
                      [serialized[i] for i in np.flatnonzero(carved)]))


def eval_holdout(output_dir: str) -> Holdout:
  """A last1 run's whole train split, with its eval split's targets.

  For measuring configurations already chosen, never for choosing them.
  """
  train, serialized = retrieval_evaluator.read_split(
      paths.latest_ingested_split(output_dir, splits.TRAIN_SPLIT),
      keep_examples=True)
  held_out, held_out_examples = retrieval_evaluator.read_split(
      paths.latest_ingested_split(output_dir, splits.EVAL_SPLIT),
      keep_examples=True)
  return _holdout(output_dir, serialized,
                  np.zeros(len(serialized), dtype=bool),
                  retrieval_evaluator.held_out_targets(train, held_out,
                                                       held_out_examples))


@dataclasses.dataclass(frozen=True)
class WarmStart:
  """A first fit without each user's `newest` latest rest ratings.

  As the impression retriever trains (pipeline/configs.py): the model then
  goes on training on every rest example, as the served retriever would
  when it starts from the impression retriever's weights.
  """
  newest: int
  epochs: int


def train_retrieval(
    holdout: Holdout, config: hyperparameters.RetrievalConfig,
    on_epoch_end: Callable[[Callable[..., dict[str, tf.Tensor]], int, dict],
                           None] | None = None,
    warm_start: WarmStart | None = None
) -> TrainedRetrieval:
  """A model trained on the examples that are not held out.

  `on_epoch_end(serve, epoch, logs)` runs after every epoch, of the warm
  start's fit too (numbered on); `fit_s` includes it.
  """
  tf.keras.utils.set_random_seed(0)
  model = retrieval_model.RetrievalModel(
      holdout.sizes, config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  serve = retrieval_signatures.make_signatures(
      model, holdout.tf_transform_output, config.top_k)[
          signatures.SERVING_DEFAULT]
  callbacks = [] if on_epoch_end is None else [
      tf.keras.callbacks.LambdaCallback(
          on_epoch_end=lambda epoch, logs: on_epoch_end(serve, epoch, logs))]
  fits = [(~holdout.held_out, config.epochs)]
  if warm_start is not None:
    # The carve-out holds each user's newest rating, so the newest rest
    # ratings are the newest `newest + 1` less that one.
    newest = splits.newest_per_user(
        holdout.data[features.USER_INDEX].numpy(),
        holdout.data[features.SEQUENCE_POSITION].numpy(),
        warm_start.newest + 1)
    fits.insert(0, (~(holdout.held_out | newest), warm_start.epochs))
  columns = retrieval_training.compact_columns(holdout.data)
  started = time.monotonic()
  initial_epoch = 0
  for trained, epochs in fits:
    batches = retrieval_training.sequence_batches(
        columns, retrieval_training.sequence_chunks(
            columns, [holdout.data[features.HISTORY_INDICES]], trained,
            config), config)
    model.fit(batches.prefetch(tf.data.AUTOTUNE),
              initial_epoch=initial_epoch, epochs=initial_epoch + epochs,
              verbose=2, callbacks=callbacks)
    initial_epoch += epochs
  return TrainedRetrieval(serve, time.monotonic() - started)


def tune(output_dir: str, config: hyperparameters.RetrievalConfig,
         warm_start: WarmStart | None = None) -> dict:
  """Validation HR@K and NDCG@10 of one configuration after every epoch."""
  carve = carve_out(output_dir)
  by_epoch = []

  def validate(serve: Callable[..., dict[str, tf.Tensor]], epoch: int,
               logs: dict) -> None:
    metrics = retrieval_metrics.metrics(
        retrieval_evaluator.model_ranks(serve, carve.targets))
    by_epoch.append({'epoch': epoch + 1, 'train_loss': logs['loss'],
                     **metrics})
    print(json.dumps(by_epoch[-1]), flush=True)

  trained = train_retrieval(carve, config, validate, warm_start)
  return {'validation_targets': len(carve.targets.movie_ids),
          'fit_and_validation_s': trained.fit_s,
          'validation_by_epoch': by_epoch}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished `ytdnn run`')
  parser.add_argument('--config', default='{}',
                      help='JSON of RetrievalConfig fields to override')
  parser.add_argument(
      '--warm-start', nargs=2, type=int, metavar=('NEWEST', 'EPOCHS'),
      help='first train EPOCHS without each user\'s NEWEST latest rest '
      'ratings, as the impression retriever does, then go on with --config')
  args = parser.parse_args()
  overrides = json.loads(args.config)
  config = hyperparameters.RetrievalConfig.with_overrides(overrides)
  warm_start = None if args.warm_start is None else WarmStart(*args.warm_start)
  print(json.dumps({'config': overrides, 'warm_start': args.warm_start,
                    **tune(args.output_dir, config, warm_start)}))


if __name__ == '__main__':
  main()
