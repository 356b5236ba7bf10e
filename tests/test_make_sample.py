"""Tests for data/make_sample.py.

The pipeline runs on the generated sample by default and on the real ml-1m
files in production, so the sample must match ml-1m's format exactly, be
reproducible byte for byte, and hold rating signal a model can learn.
"""

import collections
import os
import re
import subprocess
import sys

import numpy as np
import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO_ROOT, 'data', 'make_sample.py')
TINY_ARGS = ('--users', '40', '--movies', '60')
TINY_USERS = 40
TINY_MOVIES = 60
FILES = ('ratings.dat', 'users.dat', 'movies.dat')

ENCODING = 'latin-1'
SEPARATOR = '::'
GENRES = frozenset({
    'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime',
    'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical',
    'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'})
GENDERS = frozenset({'M', 'F'})
AGES = frozenset({1, 18, 25, 35, 45, 50, 56})
OCCUPATIONS = frozenset(range(21))
ZIP_PATTERN = re.compile(r'\d{5}(-\d{4})?')
DASHED_ZIP_PATTERN = re.compile(r'\d{5}-\d{4}')
TITLE_PATTERN = re.compile(r'.+ \((\d{4})\)')
ACCENTED_TITLE = 'Amélie'
MIN_RATINGS_PER_USER = 20
# ml-1m's rating period, 2000-04-25 to 2003-02-28.
FIRST_TIMESTAMP = 956703932
LAST_TIMESTAMP = 1046454590

# Shrinkage of the bias baseline, in pseudo-ratings at the global mean.
BIAS_SHRINKAGE = 5.0
HOLDOUT_SHARE = 0.1
# The baseline must cut the global mean's held-out RMSE by at least this share.
MIN_RMSE_GAIN = 0.05


def run_script(output_dir: str, *args: str) -> None:
  subprocess.run(
      [sys.executable, SCRIPT, '--output-dir', output_dir, *args], check=True)


def read_rows(sample_dir: str, name: str) -> list[list[str]]:
  with open(os.path.join(sample_dir, name), encoding=ENCODING,
            newline='') as f:
    return [line.rstrip('\n').split(SEPARATOR) for line in f]


def read_ratings(sample_dir: str) -> np.ndarray:
  """Ratings as an int array of (user, movie, rating, timestamp) rows."""
  return np.array(read_rows(sample_dir, 'ratings.dat'), dtype=np.int64)


@pytest.fixture(scope='module')
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
  output_dir = str(tmp_path_factory.mktemp('sample'))
  run_script(output_dir, *TINY_ARGS)
  return output_dir


def test_same_arguments_give_identical_bytes(sample_dir, tmp_path):
  run_script(str(tmp_path), *TINY_ARGS)
  for name in FILES:
    with open(os.path.join(sample_dir, name), 'rb') as first, open(
        tmp_path / name, 'rb') as second:
      assert first.read() == second.read(), name


def test_another_seed_gives_other_ratings(sample_dir, tmp_path):
  run_script(str(tmp_path), *TINY_ARGS, '--seed', '2')
  with open(os.path.join(sample_dir, 'ratings.dat'), 'rb') as first, open(
      tmp_path / 'ratings.dat', 'rb') as second:
    assert first.read() != second.read()


def test_lines_end_with_a_bare_newline(sample_dir):
  for name in FILES:
    with open(os.path.join(sample_dir, name), 'rb') as f:
      content = f.read()
    assert content.endswith(b'\n'), name
    assert b'\r' not in content, name


def test_users_match_ml1m_format(sample_dir):
  rows = read_rows(sample_dir, 'users.dat')
  assert [len(row) for row in rows] == [5] * TINY_USERS
  assert [int(row[0]) for row in rows] == list(range(1, TINY_USERS + 1))
  for _, gender, age, occupation, zip_code in rows:
    assert gender in GENDERS
    assert int(age) in AGES
    assert int(occupation) in OCCUPATIONS
    assert ZIP_PATTERN.fullmatch(zip_code), zip_code
  assert DASHED_ZIP_PATTERN.fullmatch(rows[0][4]), 'user 1 needs a dashed zip'


def test_movies_match_ml1m_format(sample_dir):
  rows = read_rows(sample_dir, 'movies.dat')
  assert [len(row) for row in rows] == [3] * TINY_MOVIES
  assert [int(row[0]) for row in rows] == list(range(1, TINY_MOVIES + 1))
  for _, title, genres in rows:
    assert TITLE_PATTERN.fullmatch(title), title
    assert 1 <= len(genres.split('|')) <= 3, genres
    assert set(genres.split('|')) <= GENRES, genres


def test_movies_are_latin1_with_accented_titles(sample_dir):
  with open(os.path.join(sample_dir, 'movies.dat'), 'rb') as f:
    content = f.read()
  assert ACCENTED_TITLE.encode(ENCODING) in content
  with pytest.raises(UnicodeDecodeError):
    content.decode('utf-8')


def test_ratings_match_ml1m_format(sample_dir):
  rows = read_rows(sample_dir, 'ratings.dat')
  assert all(len(row) == 4 for row in rows)
  ratings = read_ratings(sample_dir)
  users, movies, stars, timestamps = ratings.T
  assert set(users) == set(range(1, TINY_USERS + 1))
  assert set(movies) <= set(range(1, TINY_MOVIES + 1))
  assert set(stars) == {1, 2, 3, 4, 5}
  assert timestamps.min() >= FIRST_TIMESTAMP
  assert timestamps.max() <= LAST_TIMESTAMP


def test_each_user_rates_a_movie_once_and_at_least_20(sample_dir):
  ratings = read_ratings(sample_dir)
  pairs = collections.Counter(zip(ratings[:, 0], ratings[:, 1]))
  assert max(pairs.values()) == 1
  per_user = collections.Counter(ratings[:, 0])
  assert min(per_user.values()) >= MIN_RATINGS_PER_USER


def test_users_rate_in_same_second_batches(sample_dir):
  ratings = read_ratings(sample_dir)
  per_second = collections.Counter(zip(ratings[:, 0], ratings[:, 3]))
  in_batches = sum(count for count in per_second.values() if count > 1)
  assert in_batches / len(ratings) > 0.5


def test_rating_distribution_looks_like_ml1m(sample_dir):
  stars = read_ratings(sample_dir)[:, 2]
  assert 3.2 < stars.mean() < 4.0
  assert np.mean(stars >= 3) > 0.75


def fit_biases(train: np.ndarray) -> tuple[float, dict, dict]:
  """Global mean plus shrunken movie then user biases, the classic baseline."""
  mean = train[:, 2].mean()
  movie_residuals = collections.defaultdict(list)
  for _, movie, stars, _ in train:
    movie_residuals[movie].append(stars - mean)
  movie_bias = {movie: sum(values) / (len(values) + BIAS_SHRINKAGE)
                for movie, values in movie_residuals.items()}
  user_residuals = collections.defaultdict(list)
  for user, movie, stars, _ in train:
    user_residuals[user].append(stars - mean - movie_bias[movie])
  user_bias = {user: sum(values) / (len(values) + BIAS_SHRINKAGE)
               for user, values in user_residuals.items()}
  return mean, user_bias, movie_bias


def test_ratings_carry_learnable_signal(sample_dir):
  ratings = read_ratings(sample_dir)
  held_out = np.random.default_rng(0).random(len(ratings)) < HOLDOUT_SHARE
  train, test = ratings[~held_out], ratings[held_out]
  mean, user_bias, movie_bias = fit_biases(train)
  predictions = np.array([
      mean + user_bias.get(user, 0.0) + movie_bias.get(movie, 0.0)
      for user, movie, _, _ in test])
  baseline_rmse = np.sqrt(np.mean((predictions - test[:, 2]) ** 2))
  global_rmse = np.sqrt(np.mean((mean - test[:, 2]) ** 2))
  assert baseline_rmse < (1 - MIN_RMSE_GAIN) * global_rmse
