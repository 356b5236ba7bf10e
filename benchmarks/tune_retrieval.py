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
      [--config '{"epochs": 6, "history_decays": [1.0, 0.0]}']
"""

import argparse
import json
import time


import numpy as np
import tensorflow as tf

from benchmarks import bare_trainer
from components import retrieval_evaluator
from contract import paths
from contract import retrieval_metrics
from contract import splits
from models import hyperparameters
from models import retrieval_model
from models import retrieval_signatures
from models import retrieval_training
from models import signatures
from models import training

def _subset(ratings: retrieval_evaluator.Ratings,
            keep: np.ndarray) -> retrieval_evaluator.Ratings:
  return retrieval_evaluator.Ratings(ratings.user_ids[keep],
                                     ratings.movie_ids[keep],
                                     ratings.earlier_counts[keep])


def tune(output_dir: str, config: hyperparameters.RetrievalConfig) -> dict:
  """Validation HR@K and NDCG@10 of one configuration after every epoch."""
  root = paths.pipeline_root(output_dir)
  tf_transform_output = bare_trainer.latest_transform_graph(root)
  train, serialized = retrieval_evaluator.read_split(
      paths.latest_ingested_split(output_dir, splits.TRAIN_SPLIT),
      keep_examples=True)
  carved = np.zeros(len(serialized), dtype=bool)
  carved[retrieval_evaluator.latest_per_user(train)] = True
  targets = retrieval_evaluator.held_out_targets(
      _subset(train, ~carved), _subset(train, carved),
      [serialized[i] for i in np.flatnonzero(carved)])

  tf.keras.utils.set_random_seed(0)
  model = retrieval_model.RetrievalModel(
      training.vocabulary_sizes(tf_transform_output), config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  serve = retrieval_signatures.make_signatures(
      model, tf_transform_output, retrieval_metrics.CURVE_MAX_K)[
          signatures.SERVING_DEFAULT]
  by_epoch = []

  def validate(epoch: int, logs: dict) -> None:
    metrics = retrieval_metrics.metrics(
        retrieval_evaluator.model_ranks(serve, targets))
    by_epoch.append({'epoch': epoch + 1, 'train_loss': logs['loss'],
                     **metrics})
    print(json.dumps(by_epoch[-1]), flush=True)

  data = training.transform_in_memory(
      tf.data.Dataset.from_tensor_slices(serialized), tf_transform_output,
      with_positions=True)
  batches = retrieval_training.sequence_batches(
      data, retrieval_training.sequence_chunks(data, ~carved, config), config)
  del data
  started = time.monotonic()
  model.fit(batches.prefetch(tf.data.AUTOTUNE), epochs=config.epochs,
            verbose=2, callbacks=[tf.keras.callbacks.LambdaCallback(
                on_epoch_end=validate)])
  return {'validation_targets': len(targets.movie_ids),
          'fit_and_validation_s': time.monotonic() - started,
          'validation_by_epoch': by_epoch}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished `ytdnn run`')
  parser.add_argument('--config', default='{}',
                      help='JSON of RetrievalConfig fields to override')
  args = parser.parse_args()
  overrides = json.loads(args.config)
  config = hyperparameters.RetrievalConfig.with_overrides(overrides)
  print(json.dumps({'config': overrides, **tune(args.output_dir, config)}))


if __name__ == '__main__':
  main()
