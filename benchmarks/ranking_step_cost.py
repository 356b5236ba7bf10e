"""Seconds per ranking training step as the user and movie tables grow, whole-table and row-wise.

The cost curve's 10M point spent 336 s a million ratings in its ranking
Trainer against 221 at 1M. With whole tables a step of one member reads
and updates every row of every embedding table: the L2 penalty on each
table gives a dense gradient, and Adam moves every row. The tables grow
with the users and movies, and the steps with the ratings, so the
Trainer's time grows faster than the ratings. Row-wise
(ModelConfig.dense_table_max_users; models/row_penalty.py,
models/lazy_adam.py) a step touches the rows its batch reads. This times
the ranking member's own training step (the cost curve's settings: one
member, no I-AutoRec) on synthetic batches drawn as the cost curve's
samples are, at each cost-curve point's vocabulary and at ml-25m's and
ml-32m's, both ways; ModelConfig.dense_table_max_users rests on it.

  .venv/bin/python -m benchmarks.ranking_step_cost --output results.json

Run it alone (the load average is recorded with the figures).
"""

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import tensorflow as tf

from benchmarks import cost_curve
from contract import features
from contract import formats
from data import make_sample
from models import hyperparameters
from models import ranking_model
from models import training

# (name, users, movies): the cost curve's points by cost_curve.sample_shape,
# and the users and rated movies of ml-25m and ml-32m.
VOCABULARIES = (
    *((f'{ratings // 10**6}M', *cost_curve.sample_shape(ratings).values())
      for ratings in (1_000_000, 3_000_000, 10_000_000)),
    ('ml-25m', 162_541, 59_047),
    ('ml-32m', 200_948, 84_432),
)
BATCHES = 8
WARMUP_STEPS = 5
TIMED_STEPS = 40
HISTORY = 50
RATERS = 20


def synthetic_batch(users: int, movies: int, batch_size: int,
                    rng: np.random.Generator) -> training.Features:
  """One batch of transformed examples with full histories and raters.

  Movies are drawn by a log-normal popularity and users by an exponential
  activity, as data/make_sample.py draws them, so a batch reads about as
  many distinct rows as the cost curve's samples do.
  """
  movie_weights = np.exp(rng.normal(0, make_sample.POPULARITY_SD, movies))
  user_weights = rng.exponential(1.0, users)

  def draw(weights: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice(len(weights), size=shape, p=weights / weights.sum())

  def ragged(values: np.ndarray, length: int) -> tf.RaggedTensor:
    return tf.RaggedTensor.from_uniform_row_length(
        values.reshape(-1).astype(np.int64), length)

  batch = {
      features.USER_INDEX: tf.constant(draw(user_weights, (batch_size,))),
      features.MOVIE_INDEX: tf.constant(draw(movie_weights, (batch_size,))),
      features.HISTORY_INDICES: ragged(
          draw(movie_weights, (batch_size, HISTORY)), HISTORY),
      features.RATER_INDICES: ragged(
          draw(user_weights, (batch_size, RATERS)), RATERS),
      features.GENRE_INDICES: ragged(rng.integers(18, size=(batch_size, 2)), 2),
      features.HISTORY_RATING_VALUES: tf.RaggedTensor.from_uniform_row_length(
          rng.integers(1, 11, size=batch_size * HISTORY).astype(np.float32) / 2,
          HISTORY),
  }
  batch.update({name: tf.constant(rng.random(batch_size, dtype=np.float32))
                for name in features.continuous_feature_names()})
  labels = {
      features.RATING_HEAD: tf.constant(
          rng.integers(1, 11, size=batch_size).astype(np.float32) / 2),
      features.STARS_HEAD: tf.constant(rng.integers(10, size=batch_size)),
      features.LIKED_HEAD: tf.constant(
          rng.integers(2, size=batch_size).astype(np.float32)),
  }
  return batch, labels


def seconds_per_step(users: int, movies: int,
                     config: hyperparameters.ModelConfig) -> float:
  """Mean seconds of TIMED_STEPS training steps after WARMUP_STEPS."""
  tf.keras.utils.set_random_seed(0)
  sizes = ranking_model.VocabularySizes(
      movie=movies + 1, user=users + 1, genre=19, demographics={},
      stars=formats.HALF_STARS.num_values)
  rng = np.random.default_rng(0)
  batches = [synthetic_batch(users, movies, config.batch_size, rng)
             for _ in range(BATCHES)]
  model = ranking_model.build_ranking_model(sizes, config)
  training.compile_ranking_model(model, sizes, config)
  step = tf.function(model.train_step)
  for i in range(WARMUP_STEPS):
    step(batches[i % BATCHES])
  started = time.perf_counter()
  for i in range(TIMED_STEPS):
    step(batches[i % BATCHES])
  return (time.perf_counter() - started) / TIMED_STEPS


def measure() -> dict:
  """Each vocabulary's step seconds, whole-table and sparse updates."""
  default = hyperparameters.ModelConfig(ensemble_size=1, autorec_weight=0.0)
  configs = {
      'whole_tables': dataclasses.replace(
          default, dense_table_max_users=2**62),
      'row_wise': dataclasses.replace(default, dense_table_max_users=0)}
  rows = []
  for name, users, movies in VOCABULARIES:
    rows.append({'vocabulary': name, 'users': users, 'movies': movies})
    rows[-1].update({
        f'{key}_s_per_step': round(seconds_per_step(users, movies, config), 4)
        for key, config in configs.items()})
    print(json.dumps(rows[-1]), flush=True)
  return {'load_average_1min': os.getloadavg()[0],
          'batch_size': default.batch_size, 'timed_steps': TIMED_STEPS,
          'rows': rows}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output', required=True)
  args = parser.parse_args()
  results = measure()
  with open(args.output, 'w') as file:
    json.dump(results, file, indent=2)
  print(json.dumps(results, indent=2))


if __name__ == '__main__':
  main()
