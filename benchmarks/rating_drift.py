"""Why the ranking model reads the ratings of the history: a check on train data only.

Holds out each user's latest ratings of the `temporal` train split by the
same rule `temporal` uses (a carve-out; the eval split is never read), fits
user and movie biases on the rest, and compares the carve-out RMSE of those
biases alone with the biases plus the mean of the user's N ratings just
before each one, blended by least squares on the fitted part:

  .venv/bin/python -m benchmarks.rating_drift [--data-dir ../shared/data/ml-1m]

writes benchmarks/results/rating_drift_temporal.json.
"""

import argparse
import os
import sys


import numpy as np
import pandas as pd

from benchmarks import baselines
from contract import splits

RECENT_COUNTS = (5, 50)
# Shrinkage of the biases towards zero, in ratings' worth of evidence.
MOVIE_SHRINKAGE = 25
USER_SHRINKAGE = 10


def _frame(ratings: list[baselines.Rating]) -> pd.DataFrame:
  return pd.DataFrame(ratings, columns=baselines.Rating._fields)


def with_recent_means(ratings: pd.DataFrame) -> pd.DataFrame:
  """Adds, per rating, the mean of the user's N ratings just before it.

  Ratings are in (timestamp, movie_id) order per user, as in the ingestion;
  a user's first rating has no earlier ones and gets NaN.
  """
  ordered = ratings.sort_values(['user_id', 'timestamp', 'movie_id'])
  earlier = ordered.groupby('user_id')['rating'].shift(1)
  for count in RECENT_COUNTS:
    ordered[f'mean_of_last_{count}'] = earlier.groupby(
        ordered['user_id']).transform(
            lambda s, n=count: s.rolling(n, min_periods=1).mean())
  return ordered


def carve_out_rmse(fitted: pd.DataFrame, carved: pd.DataFrame) -> dict:
  """Carve-out RMSE of biases alone and of biases plus each recent mean."""
  mean = fitted['rating'].mean()
  movie_counts = fitted.groupby('movie_id')['rating'].size()
  movie_bias = ((fitted.groupby('movie_id')['rating'].sum()
                 - mean * movie_counts) / (movie_counts + MOVIE_SHRINKAGE))
  frames = {}
  for name, frame in (('fitted', fitted), ('carved', carved)):
    frame = frame.assign(movie_bias=frame['movie_id'].map(movie_bias).fillna(0))
    frames[name] = frame
  residual = frames['fitted']['rating'] - mean - frames['fitted']['movie_bias']
  user_bias = (residual.groupby(frames['fitted']['user_id']).sum()
               / (frames['fitted'].groupby('user_id').size() + USER_SHRINKAGE))
  for frame in frames.values():
    frame['user_bias'] = frame['user_id'].map(user_bias).fillna(0)

  def rmse(predicted: np.ndarray) -> float:
    error = np.clip(predicted, 1, 5) - frames['carved']['rating'].to_numpy()
    return float(np.sqrt(np.mean(error ** 2)))

  def design(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    columns = [np.ones(len(frame)), frame['movie_bias'], frame['user_bias']]
    if column:
      columns.append(frame[column].fillna(mean) - mean)
    return np.column_stack(columns)

  results = {}
  for column in [None] + [f'mean_of_last_{n}' for n in RECENT_COUNTS]:
    weights, *_ = np.linalg.lstsq(design(frames['fitted'], column),
                                  frames['fitted']['rating'], rcond=None)
    results[column or 'biases'] = rmse(design(frames['carved'], column)
                                       @ weights)
  return results


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--data-dir', default=baselines.DEFAULT_DATA_DIR)
  args = parser.parse_args()
  ratings = baselines.read_ratings(os.path.join(args.data_dir, 'ratings.dat'))
  train, _ = baselines.split_ratings(ratings, splits.TEMPORAL)
  fitted, carved = baselines.split_ratings(train, splits.TEMPORAL)
  # The recent means may look at any earlier rating of the train split,
  # carved out or not, as the ingestion's history does.
  recent = with_recent_means(_frame(train)).set_index(['user_id', 'movie_id'])
  document = {
      'command': ' '.join(sys.argv),
      'machine': baselines.machine(),
      'fitted_ratings': len(fitted),
      'carve_out_ratings': len(carved),
      'carve_out_rmse': carve_out_rmse(
          recent.loc[_frame(fitted).set_index(
              ['user_id', 'movie_id']).index].reset_index(),
          recent.loc[_frame(carved).set_index(
              ['user_id', 'movie_id']).index].reset_index()),
  }
  print(baselines.write_results(document, baselines.DEFAULT_RESULTS_DIR,
                                'rating_drift_temporal.json'))
  print(document['carve_out_rmse'])


if __name__ == '__main__':
  main()
