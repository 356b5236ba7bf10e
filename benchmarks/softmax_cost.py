"""Seconds per retrieval training step, full against sampled softmax, as the vocabulary grows.

The full softmax scores every movie for every target of a batch: cheap over
ml-1m's 3,706 movies, not over the 59,047 movies ml-25m's ratings name or
ml-32m's 84,432. This times the retrieval model's own training step
(RetrievalModel.train_step on sequence chunks, the default RetrievalConfig)
on synthetic sequences over each vocabulary size, with the full softmax and
with RetrievalConfig.num_sampled sampled negatives, and reports where the
full softmax's step costs more than MAX_FULL_SOFTMAX_COST times the sampled
one's: RetrievalConfig.full_softmax_max_movies rests on it.

  .venv/bin/python -m benchmarks.softmax_cost --output results.json

Run it alone (the load average is recorded with the figures).
"""

import argparse
import dataclasses
import json
import os
import time

import numpy as np
import tensorflow as tf

from contract import features
from contract import formats
from models import hyperparameters
from models import ranking_model
from models import retrieval_model
from models import retrieval_training
from models import training

# The movies rated in ml-1m, ml-10m, ml-20m, ml-25m and ml-32m, and two
# sizes between the first two.
VOCABULARY_SIZES = (3_706, 5_000, 7_000, 10_677, 26_744, 59_047, 84_432)
USERS = 2_000
RATINGS_PER_USER = 100
WARMUP_STEPS = 5
TIMED_STEPS = 30
# ml-1m keeps the full softmax for 0.008 more HR@10 on its last1 carve-out
# (models/hyperparameters.py) at 1.5 to 1.9 times the sampled softmax's step
# here (two runs; 1.28 times its epoch on the real data, 41 s against 32);
# past twice the sampled step the full softmax is dropped for the sampled one.
MAX_FULL_SOFTMAX_COST = 2.0


def synthetic_sequences(num_movies: int, seed: int = 0) -> training.Features:
  """Transformed examples of USERS sequences over a Zipf-like vocabulary.

  Movie index 0 is the most popular, as in the Transform's vocabulary, which
  the log-uniform sampler assumes. Only the features the user tower reads
  without demographics, and those that lay the examples out as sequences.
  """
  rng = np.random.default_rng(seed)
  popularity = 1.0 / np.arange(1, num_movies + 1)
  movies = rng.choice(num_movies, size=(USERS, RATINGS_PER_USER),
                      p=popularity / popularity.sum())
  positions = np.tile(np.arange(RATINGS_PER_USER), USERS)
  history_length = np.minimum(positions, 50)
  history = tf.RaggedTensor.from_row_lengths(
      np.concatenate([movies[user, max(0, place - 50):place]
                      for user in range(USERS)
                      for place in range(RATINGS_PER_USER)]).astype(np.int64),
      history_length.astype(np.int64))
  count = USERS * RATINGS_PER_USER
  data = {
      features.USER_INDEX: tf.constant(np.repeat(np.arange(USERS), RATINGS_PER_USER)),
      features.SEQUENCE_POSITION: tf.constant(positions),
      features.MOVIE_INDEX: tf.constant(movies.reshape(-1).astype(np.int64)),
      features.HISTORY_INDICES: history,
  }
  data.update({name: tf.constant(rng.random(count, dtype=np.float32))
               for name in retrieval_model.USER_CONTINUOUS})
  return data


def seconds_per_step(num_movies: int, full_softmax: bool) -> float:
  """Mean seconds of TIMED_STEPS training steps after WARMUP_STEPS."""
  tf.keras.utils.set_random_seed(0)
  config = dataclasses.replace(
      hyperparameters.RetrievalConfig(),
      full_softmax_max_movies=num_movies if full_softmax else 0)
  sizes = ranking_model.VocabularySizes(
      movie=num_movies + 1, user=USERS + 1, genre=1, demographics={},
      stars=formats.HALF_STARS.num_values)
  data = synthetic_sequences(num_movies)
  columns = retrieval_training.compact_columns(data)
  chunks = retrieval_training.sequence_chunks(
      columns, [data[features.HISTORY_INDICES]],
      np.ones(training.num_examples(data), bool), config)
  batches = retrieval_training.sequence_batches(columns, chunks,
                                                config).repeat()
  model = retrieval_model.RetrievalModel(sizes, config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  model.fit(batches.take(WARMUP_STEPS), epochs=1, verbose=0)
  started = time.perf_counter()
  model.fit(batches.take(TIMED_STEPS), epochs=1, verbose=0)
  return (time.perf_counter() - started) / TIMED_STEPS


def measure() -> dict:
  """Each vocabulary size's step times and the largest the full softmax keeps."""
  rows = []
  for num_movies in VOCABULARY_SIZES:
    full = seconds_per_step(num_movies, full_softmax=True)
    sampled = seconds_per_step(num_movies, full_softmax=False)
    rows.append({'movies': num_movies, 'full_s_per_step': round(full, 4),
                 'sampled_s_per_step': round(sampled, 4),
                 'full_over_sampled': round(full / sampled, 3)})
    print(json.dumps(rows[-1]), flush=True)
  kept = [row['movies'] for row in rows
          if row['full_over_sampled'] <= MAX_FULL_SOFTMAX_COST]
  return {'load_average_1min': os.getloadavg()[0],
          'users': USERS, 'ratings_per_user': RATINGS_PER_USER,
          'timed_steps': TIMED_STEPS,
          'max_full_softmax_cost': MAX_FULL_SOFTMAX_COST,
          'rows': rows,
          'largest_full_softmax_vocabulary': max(kept, default=None)}


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
