"""Retrieval baselines of BENCHMARKS.md's `last1` protocol.

Holds out each user's last rating with the project's split rules and ranks
every rated movie by train popularity, recent popularity, and first-order and
5th-order Markov chains, so a candidate generator has baselines on the same
targets as the pipeline's `last1` eval split:

  .venv/bin/python -m benchmarks.retrieval_baselines [--models ...]

writes benchmarks/results/retrieval_baselines_last1.json.
"""

import argparse
import collections
import json
import os
import shlex
import sys
import time
from typing import Iterable, NamedTuple, Sequence

# `components` imports TFX, hence TensorFlow: keep its start-up logs quiet.

import numpy as np

from benchmarks import baselines
from contract import formats
from contract import retrieval_metrics
from contract import splits

POPULARITY = 'popularity'
RECENT_POPULARITY = 'recent_popularity'
MARKOV1 = 'markov1'
MARKOV5 = 'markov5'
MODELS = (POPULARITY, RECENT_POPULARITY, MARKOV1, MARKOV5)

# Recent popularity counts the latest tenth of the training ratings.
RECENT_SHARE = 0.1

TIE_RULE = ('equal scores are ordered by train popularity, then by movie id '
            '(retrieval_metrics: ties go to the lower candidate index)')


class Last1Data(NamedTuple):
  """The `last1` split of ml-1m as candidate indices, one entry per user.

  A candidate's index is its position in the sorted `movie_ids`, so the
  lower-index tie rule of retrieval_metrics orders equal scores by movie id.
  """
  movie_ids: np.ndarray
  histories: list[np.ndarray]
  history_timestamps: list[np.ndarray]
  targets: np.ndarray


def last1_data(ratings: Sequence[baselines.Rating]) -> Last1Data:
  """Every rating but each user's last is history: that user's and training."""
  train, eval_ = baselines.split_ratings(ratings, splits.LAST1)
  movie_ids = np.unique([rating.movie_id for rating in ratings])
  by_user = collections.defaultdict(list)
  for rating in train:
    by_user[rating.user_id].append(rating)
  # split_ratings lists users by id and each user's ratings by time.
  histories = [
      np.searchsorted(movie_ids, [r.movie_id for r in by_user[target.user_id]])
      for target in eval_]
  history_timestamps = [
      np.array([r.timestamp for r in by_user[target.user_id]], dtype=np.int64)
      for target in eval_]
  targets = np.searchsorted(movie_ids, [target.movie_id for target in eval_])
  return Last1Data(movie_ids, histories, history_timestamps, targets)


def popularity(data: Last1Data) -> np.ndarray:
  """Training ratings of each candidate."""
  return np.bincount(np.concatenate(data.histories),
                     minlength=len(data.movie_ids))


def recent_popularity(data: Last1Data) -> np.ndarray:
  """Training ratings of each candidate in the latest tenth of them.

  The cut is the timestamp of the rating 90% of the way through the time
  order, and every rating in that second counts: the latest tenth of the
  ratings, not of the time span (ml-1m's last tenth of time holds few
  ratings), is what reproduces BENCHMARKS.md.
  """
  timestamps = np.concatenate(data.history_timestamps)
  cut = np.sort(timestamps)[int(len(timestamps) * (1 - RECENT_SHARE))]
  movies = np.concatenate(data.histories)
  return np.bincount(movies[timestamps >= cut], minlength=len(data.movie_ids))


def transitions(data: Last1Data) -> np.ndarray:
  """[from, to] counts of consecutive movies in the users' histories."""
  num_movies = len(data.movie_ids)
  previous = np.concatenate([history[:-1] for history in data.histories])
  following = np.concatenate([history[1:] for history in data.histories])
  return np.bincount(previous * num_movies + following,
                     minlength=num_movies ** 2).reshape(num_movies, num_movies)


def markov_scores(data: Last1Data, order: int) -> np.ndarray:
  """[user, candidate] transition counts from the user's last `order` movies.

  The most recent movie weighs 1, the one before 1/2, then 1/4, ...; the
  weights are scaled by 2 ** (order - 1) so the scores stay exact integers.
  """
  counts = transitions(data)
  scores = np.zeros((len(data.histories), len(data.movie_ids)), dtype=np.int64)
  for back in range(order):
    users = [user for user, history in enumerate(data.histories)
             if len(history) > back]
    previous = [data.histories[user][-1 - back] for user in users]
    scores[users] += 2 ** (order - 1 - back) * counts[previous]
  return scores


def model_scores(model: str, data: Last1Data) -> np.ndarray:
  """One model's [user, candidate] scores, higher ranking first."""
  if model == POPULARITY:
    scores = popularity(data)
  elif model == RECENT_POPULARITY:
    scores = recent_popularity(data)
  elif model == MARKOV1:
    scores = markov_scores(data, 1)
  elif model == MARKOV5:
    scores = markov_scores(data, 5)
  else:
    raise ValueError(f'Unknown model {model!r}; expected one of {MODELS}')
  return np.broadcast_to(scores, (len(data.targets), len(data.movie_ids)))


def ranks(model: str, data: Last1Data) -> np.ndarray:
  """Each user's target rank under TIE_RULE, earlier-rated movies removed.

  Most candidates of a count model tie (a Markov row is mostly zeros), so the
  tie rule decides much of the ranking: popularity as the second key is what
  reproduces BENCHMARKS.md. Its popularity row alone counts a target ahead
  of the movies tied with it: one user more within 50 and within 100 than
  here. Scores and popularity are integers, so the combined key is exact.
  """
  counts = popularity(data)
  keys = model_scores(model, data) * (counts.max() + 1) + counts
  return retrieval_metrics.target_ranks(keys, data.targets, data.histories)


def run(data_dir: str, models: Iterable[str]) -> dict:
  """The results document; a model is logged when done."""
  start = time.perf_counter()
  host = baselines.machine()
  data = last1_data(
      baselines.read_ratings(os.path.join(data_dir,
                                          formats.ML_1M.ratings_file)))
  loaded = time.perf_counter()
  results = {}
  for model in models:
    model_start = time.perf_counter()
    results[model] = {**retrieval_metrics.metrics(ranks(model, data)),
                      'seconds': time.perf_counter() - model_start}
    print(model, json.dumps(results[model]), flush=True)
  return {
      'command': shlex.join(['python'] + sys.argv),
      'protocol': splits.LAST1,
      'users': len(data.targets),
      'candidates': len(data.movie_ids),
      'train_ratings': sum(len(history) for history in data.histories),
      'tie_rule': TIE_RULE,
      'machine': host,
      'load_s': loaded - start,
      'wall_s': time.perf_counter() - start,
      'models': results,
  }


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--models', default=','.join(MODELS),
                      help=f'comma-separated subset of {",".join(MODELS)}')
  parser.add_argument('--data-dir', default=baselines.DEFAULT_DATA_DIR)
  parser.add_argument('--results-dir', default=baselines.DEFAULT_RESULTS_DIR)
  args = parser.parse_args()
  models = args.models.split(',')
  unknown = sorted(set(models) - set(MODELS))
  if unknown:
    parser.error(f'unknown models {unknown}; choose from {",".join(MODELS)}')
  document = run(args.data_dir, models)
  print('wrote ' + baselines.write_results(
      document, args.results_dir, f'retrieval_baselines_{splits.LAST1}.json'))


if __name__ == '__main__':
  main()
