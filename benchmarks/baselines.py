"""Rating-prediction baselines of BENCHMARKS.md, measured with scikit-surprise.

Splits ml-1m's ratings.dat with the project's own split rules and evaluates
the train mean, BaselineOnly, SVD and SVD++ (Surprise defaults, random_state=0)
on the eval ratings, so the model's figures have baselines on the same eval set:

  .venv/bin/python -m benchmarks.baselines --protocol temporal \
      [--models mean,baseline,svd,svdpp] [--order time|file]

writes benchmarks/results/baselines_<protocol>.json.
"""

import argparse
import collections
import json
import os
import platform
import shlex
import sys
import time
from typing import Iterable, NamedTuple, Sequence

# `components` imports TFX, hence TensorFlow: keep its start-up logs quiet.

import numpy as np
import pandas as pd
from sklearn import metrics
import surprise

from components.ingestion import rules
from contract import features
from contract import formats
from contract import splits

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.path.join(
    os.path.dirname(REPO_ROOT), 'shared', 'data', 'ml-1m')
DEFAULT_RESULTS_DIR = os.path.join(REPO_ROOT, 'benchmarks', 'results')

MEAN = 'mean'
BASELINE = 'baseline'
SVD = 'svd'
SVDPP = 'svdpp'
MODELS = (MEAN, BASELINE, SVD, SVDPP)

# Orders of the training ratings given to Surprise; see split_ratings.
TIME_ORDER = 'time'
FILE_ORDER = 'file'
ORDERS = (TIME_ORDER, FILE_ORDER)


class Rating(NamedTuple):
  user_id: int
  movie_id: int
  rating: int
  timestamp: int


def read_ratings(path: str) -> list[Rating]:
  """All lines of ml-1m's ratings.dat, in file order."""
  with open(path, 'rb') as ratings_file:
    return [Rating(*map(int, rules.decode_line(raw).split(
        formats.ML_1M.separator)))
            for raw in ratings_file]


def split_ratings(ratings: Sequence[Rating], split_protocol: str,
                  order: str = TIME_ORDER) -> tuple[list[Rating], list[Rating]]:
  """(train, eval) ratings by the project's split rules, listed in `order`.

  The order matters: Surprise numbers users and items by first appearance
  (which decides SVD's random initialisation) and its SGD visits each user's
  ratings in the order given, so the last updates of a user's factors come
  from the ratings listed last. TIME_ORDER lists users by id and each user's
  ratings in the project's (timestamp, movie_id) order; FILE_ORDER keeps the
  order of ratings.dat.
  """
  if order not in ORDERS:
    raise ValueError(f'Unknown order {order!r}; expected one of {ORDERS}')
  by_user = collections.defaultdict(list)
  for rating in ratings:
    by_user[rating.user_id].append(rating)
  split_of = {}
  time_ordered = []
  for user_id in sorted(by_user):
    ordered = sorted(by_user[user_id],
                     key=lambda rating: (rating.timestamp, rating.movie_id))
    movie_ids = [rating.movie_id for rating in ordered]
    for movie_id, split in zip(
        movie_ids, splits.user_splits(split_protocol, user_id, movie_ids)):
      split_of[(user_id, movie_id)] = split
    time_ordered.extend(ordered)
  listed = time_ordered if order == TIME_ORDER else ratings
  train = [rating for rating in listed
           if split_of[(rating.user_id, rating.movie_id)] == splits.TRAIN_SPLIT]
  eval_ = [rating for rating in listed
           if split_of[(rating.user_id, rating.movie_id)] == splits.EVAL_SPLIT]
  return train, eval_


def stars(predicted: np.ndarray) -> np.ndarray:
  """The 5-way class of a predicted rating: nearest integer, halves rounded up."""
  scale = formats.ML_1M.rating_scale
  return np.clip(np.floor(predicted + 0.5), scale.lowest, scale.highest)


def quality(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
  """BENCHMARKS.md's rating metrics; the predicted rating is the liked score."""
  liked = actual >= features.LIKED_MIN_RATING
  return {
      'rmse': float(np.sqrt(np.mean((predicted - actual) ** 2))),
      'mae': float(np.mean(np.abs(predicted - actual))),
      'auc_liked': float(metrics.roc_auc_score(liked, predicted)),
      'stars_accuracy': float(np.mean(stars(predicted) == actual)),
  }


def _surprise_algorithm(model: str) -> surprise.AlgoBase:
  """Surprise defaults; verbose only prints progress, it changes no result."""
  if model == BASELINE:
    return surprise.BaselineOnly(verbose=False)
  if model == SVD:
    return surprise.SVD(random_state=0)
  if model == SVDPP:
    return surprise.SVDpp(random_state=0)
  raise ValueError(f'Unknown model {model!r}; expected one of {MODELS}')


def _fit_predict(model: str, train: Sequence[Rating], eval_: Sequence[Rating]
                 ) -> tuple[np.ndarray, float, float]:
  """Predicted eval ratings, fit seconds and predict seconds."""
  start = time.perf_counter()
  if model == MEAN:
    train_mean = np.mean([rating.rating for rating in train])
    fitted = time.perf_counter()
    predicted = np.full(len(eval_), train_mean)
  else:
    frame = pd.DataFrame(
        [(rating.user_id, rating.movie_id, rating.rating) for rating in train],
        columns=['user_id', 'movie_id', 'rating'])
    trainset = surprise.Dataset.load_from_df(
        frame, surprise.Reader(rating_scale=(
            formats.ML_1M.rating_scale.lowest,
            formats.ML_1M.rating_scale.highest))
    ).build_full_trainset()
    algorithm = _surprise_algorithm(model)
    algorithm.fit(trainset)
    fitted = time.perf_counter()
    # Surprise's predict clips to the rating scale and falls back to the
    # train mean for a pair it cannot score.
    predicted = np.array([
        algorithm.predict(rating.user_id, rating.movie_id).est
        for rating in eval_])
  return predicted, fitted - start, time.perf_counter() - fitted


def evaluate(model: str, train: Sequence[Rating], eval_: Sequence[Rating]
             ) -> dict[str, float]:
  """Quality and wall times of one model trained on train, scored on eval."""
  predicted, fit_s, predict_s = _fit_predict(model, train, eval_)
  actual = np.array([rating.rating for rating in eval_], dtype=float)
  return {**quality(actual, predicted), 'fit_s': fit_s, 'predict_s': predict_s}


def machine() -> dict:
  """What the wall times were measured on; load shows a concurrent job."""
  with open('/proc/cpuinfo') as cpuinfo:
    cpu_models = [line.split(':', 1)[1].strip() for line in cpuinfo
                  if line.startswith('model name')]
  with open('/proc/meminfo') as meminfo:
    mem_kb = next(int(line.split()[1]) for line in meminfo
                  if line.startswith('MemTotal:'))
  return {
      'cores': os.cpu_count(),
      'memory_gb': round(mem_kb / 1024 ** 2, 1),
      'cpu_model': cpu_models[0] if cpu_models else platform.processor(),
      'load_average_1m_at_start': os.getloadavg()[0],
      'python': platform.python_version(),
      'surprise': surprise.__version__,
  }


def run(data_dir: str, split_protocol: str, models: Iterable[str],
        order: str) -> dict:
  """The results document of one protocol; a model is logged when done."""
  if split_protocol not in splits.SPLIT_PROTOCOLS:
    raise ValueError(f'Unknown protocol {split_protocol!r}; expected one of '
                     f'{splits.SPLIT_PROTOCOLS}')
  host = machine()
  train, eval_ = split_ratings(
      read_ratings(os.path.join(data_dir, formats.ML_1M.ratings_file)),
      split_protocol,
      order)
  results = {}
  for model in models:
    results[model] = evaluate(model, train, eval_)
    print(model, json.dumps(results[model]), flush=True)
  return {
      'command': shlex.join(['python'] + sys.argv),
      'protocol': split_protocol,
      'train_order': order,
      'train_ratings': len(train),
      'eval_ratings': len(eval_),
      'machine': host,
      'models': results,
  }


def write_results(document: dict, results_dir: str, name: str) -> str:
  """Writes a results document as indented JSON; returns its path."""
  os.makedirs(results_dir, exist_ok=True)
  path = os.path.join(results_dir, name)
  with open(path, 'w') as results_file:
    json.dump(document, results_file, indent=2)
    results_file.write('\n')
  return path


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--protocol', required=True,
                      choices=splits.SPLIT_PROTOCOLS)
  parser.add_argument('--models', default=','.join(MODELS),
                      help=f'comma-separated subset of {",".join(MODELS)}')
  parser.add_argument('--order', default=TIME_ORDER, choices=ORDERS,
                      help='order of the training ratings (SVD and SVD++ '
                      'results depend on it)')
  parser.add_argument('--data-dir', default=DEFAULT_DATA_DIR)
  parser.add_argument('--results-dir', default=DEFAULT_RESULTS_DIR)
  args = parser.parse_args()
  models = args.models.split(',')
  unknown = sorted(set(models) - set(MODELS))
  if unknown:
    parser.error(f'unknown models {unknown}; choose from {",".join(MODELS)}')
  document = run(args.data_dir, args.protocol, models, args.order)
  print('wrote ' + write_results(document, args.results_dir,
                                 f'baselines_{args.protocol}.json'))


if __name__ == '__main__':
  main()
