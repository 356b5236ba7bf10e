"""Hold-outs of the retrieval tuning and ablation scripts, on the sample run."""

import numpy as np
import tensorflow as tf

from benchmarks import tune_retrieval
from components import retrieval_evaluator
from contract import paths
from contract import splits


def _train_ratings(output_dir: str) -> retrieval_evaluator.Ratings:
  ratings, _ = retrieval_evaluator.read_split(
      paths.latest_ingested_split(output_dir, splits.TRAIN_SPLIT),
      keep_examples=False)
  return ratings


def test_the_carve_out_holds_out_each_users_latest_train_rating(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  train = _train_ratings(run.output_dir)
  carve = tune_retrieval.carve_out(run.output_dir)
  latest = retrieval_evaluator.latest_per_user(train)
  np.testing.assert_array_equal(np.flatnonzero(carve.held_out),
                                np.sort(latest))
  np.testing.assert_array_equal(np.sort(carve.targets.movie_ids),
                                np.sort(train.movie_ids[latest]))
  assert len(carve.held_out) == len(train.movie_ids)


def test_the_eval_holdout_trains_on_all_of_train_and_targets_eval(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  holdout = tune_retrieval.eval_holdout(run.output_dir)
  _, targets = retrieval_evaluator.eval_targets(
      lambda split: paths.latest_ingested_split(run.output_dir, split))
  assert not holdout.held_out.any()
  np.testing.assert_array_equal(holdout.targets.movie_ids, targets.movie_ids)
  assert ([tf.train.Example.FromString(request)
           for request in holdout.targets.requests] ==
          [tf.train.Example.FromString(request)
           for request in targets.requests])
