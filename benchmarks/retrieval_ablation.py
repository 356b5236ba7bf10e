"""The retrieval model's ablation: the paper's tower, then each added part.

Each row trains the retrieval model twice from a finished `last1` run: on
the carve-out of the train split (each user's latest train rating held out,
as `tune_retrieval.py` chooses settings) and on the whole train split,
measured on the eval targets as the RetrievalEvaluator measures them. A row
gives HR@10, NDCG@10 and HR@50 of both, the training seconds, and the
serving p50 of one user's request through the serving signature, in process:

  .venv/bin/python -m benchmarks.retrieval_ablation --output-dir OUT

and writes benchmarks/results/retrieval_ablation_last1.json. The rows
only measure: the settings were chosen on the carve-out alone.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

from benchmarks import baselines
from benchmarks import tune_retrieval
from components import retrieval_evaluator
from contract import retrieval_metrics
from models import hyperparameters

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PAPER = {'history_decays': [1.0], 'newest_movies': 0,
          'time_since_previous': False, 'full_softmax_max_movies': 0}
# Each row adds one part to the row above it; the last is the default config.
ROWS = (
    ("the paper's tower: the plain mean of the history, sampled softmax",
     _PAPER),
    ('+ a 0.5-decayed mean of the history',
     {**_PAPER, 'history_decays': [1.0, 0.5]}),
    ('+ the 3 newest movies in their own slots',
     {'time_since_previous': False, 'full_softmax_max_movies': 0}),
    ('+ the time since the previous rating', {'full_softmax_max_movies': 0}),
    ('+ the full softmax over every movie (the default)', {}),
)
# Requests timed one at a time for the serving p50, after one warm-up call.
_TIMED_REQUESTS = 200


def serving_p50_ms(trained: tune_retrieval.TrainedRetrieval,
                   targets: retrieval_evaluator.Targets) -> float:
  """Median milliseconds of one user's request through the signature."""
  trained.serve(examples=tf.constant(targets.requests[:1]))
  seconds = []
  for request in targets.requests[:_TIMED_REQUESTS]:
    started = time.perf_counter()
    trained.serve(examples=tf.constant([request]))
    seconds.append(time.perf_counter() - started)
  return float(np.percentile(seconds, 50) * 1000)


def measure(holdout: tune_retrieval.Holdout,
            config: hyperparameters.RetrievalConfig) -> dict:
  trained = tune_retrieval.train_retrieval(holdout, config)
  return {**retrieval_metrics.metrics(
      retrieval_evaluator.model_ranks(trained.serve, holdout.targets)),
          'train_s': trained.fit_s,
          'serving_p50_ms': serving_p50_ms(trained, holdout.targets)}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished last1 run')
  args = parser.parse_args()
  result = {'command': ' '.join(sys.argv), 'machine': baselines.machine(),
            'rows': []}
  holdouts = {'carve_out': tune_retrieval.carve_out(args.output_dir),
              'eval': tune_retrieval.eval_holdout(args.output_dir)}
  for name, overrides in ROWS:
    config = hyperparameters.RetrievalConfig.with_overrides(overrides)
    row = {'row': name, 'config': overrides,
           **{split: measure(holdout, config)
              for split, holdout in holdouts.items()}}
    print(json.dumps(row), flush=True)
    result['rows'].append(row)
  print('wrote ' + baselines.write_results(
      result, os.path.join(REPO, 'benchmarks', 'results'),
      'retrieval_ablation_last1.json'))


if __name__ == '__main__':
  main()
