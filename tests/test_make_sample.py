"""Tests for data/make_sample.py.

The pipeline runs on the generated sample by default and on the real
MovieLens files in production, so the sample must match each release's format
exactly, be reproducible byte for byte, and hold rating signal a model can
learn.
"""

import collections
import csv
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from contract import formats

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO_ROOT, 'data', 'make_sample.py')
TINY_ARGS = ('--users', '40', '--movies', '60')
TINY_USERS = 40
TINY_MOVIES = 60
FILES = ('ratings.dat', 'users.dat', 'movies.dat')
LATER_FORMATS = (formats.ML_10M, formats.CSV)

ENCODING = 'latin-1'
LATER_ENCODING = 'utf-8'
SEPARATOR = '::'
GENRES = frozenset({
    'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime',
    'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical',
    'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'})
IMAX = 'IMAX'
# ml-1m's "Children's" as the later releases spell it.
LATER_GENRES = GENRES - {"Children's"} | {'Children'}
NO_GENRES = '(no genres listed)'
# How each format spells a rating: ml-10m drops '.0', the CSV releases keep it.
RATING_SPELLINGS = {
    formats.ML_1M.name: re.compile(r'[1-5]'),
    formats.ML_10M.name: re.compile(r'[1-5]|[0-4]\.5'),
    formats.CSV.name: re.compile(r'[1-5]\.0|[0-4]\.5'),
}
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
# ml-25m's shape, small: CSV files, about 153 ratings per user (fewer here,
# where 60% of 400 movies caps the heaviest raters), half stars and movie ids
# spread over about three times the number of movies.
ML_25M_SHAPED_ARGS = ('--format', 'csv', '--users', '400', '--movies', '400',
                      '--ratings-per-user', '153', '--seed', '3')
ML_25M_USERS = 400
ML_25M_MOVIES = 400
# More movies than the 1,808 distinct titles that samples had before sequels.
MANY_MOVIES = 2000

# Shrinkage of the bias baseline, in pseudo-ratings at the global mean.
BIAS_SHRINKAGE = 5.0
HOLDOUT_SHARE = 0.1
# The baseline must cut the global mean's held-out RMSE by at least this share.
MIN_RMSE_GAIN = 0.05


def run_script(output_dir: str, *args: str) -> None:
  subprocess.run(
      [sys.executable, SCRIPT, '--output-dir', output_dir, *args], check=True)


def format_args(data_format: formats.DataFormat) -> tuple[str, ...]:
  return ('--format', data_format.name)


def read_rows(sample_dir: str, name: str) -> list[list[str]]:
  with open(os.path.join(sample_dir, name), encoding=ENCODING,
            newline='') as f:
    return [line.rstrip('\n').split(SEPARATOR) for line in f]


def read_ratings(sample_dir: str) -> np.ndarray:
  """Ratings as an int array of (user, movie, rating, timestamp) rows."""
  return np.array(read_rows(sample_dir, 'ratings.dat'), dtype=np.int64)


def read_records(sample_dir: str, data_format: formats.DataFormat,
                 name: str) -> list[list[str]]:
  """A file's records as fields, past its header; a later format's in UTF-8."""
  encoding = ENCODING if data_format == formats.ML_1M else LATER_ENCODING
  with open(os.path.join(sample_dir, name), encoding=encoding,
            newline='') as f:
    if data_format.separator == ',':
      return list(csv.reader(f, strict=True))[1:]
    return [line.rstrip('\n').split(data_format.separator) for line in f]


def read_format_ratings(sample_dir: str,
                        data_format: formats.DataFormat) -> np.ndarray:
  """Ratings as a float array of (user, movie, rating, timestamp) rows."""
  return np.array(
      read_records(sample_dir, data_format, data_format.ratings_file),
      dtype=np.float64)


@pytest.fixture(scope='module')
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
  output_dir = str(tmp_path_factory.mktemp('sample'))
  run_script(output_dir, *TINY_ARGS)
  return output_dir


@pytest.fixture(scope='module')
def format_dirs(tmp_path_factory: pytest.TempPathFactory,
                sample_dir: str) -> dict[str, str]:
  """The tiny sample in every format, by format name."""
  dirs = {formats.ML_1M.name: sample_dir}
  for data_format in LATER_FORMATS:
    dirs[data_format.name] = str(tmp_path_factory.mktemp(data_format.name))
    run_script(dirs[data_format.name], *TINY_ARGS, *format_args(data_format))
  return dirs


@pytest.fixture(scope='module')
def ml_25m_shaped_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
  output_dir = str(tmp_path_factory.mktemp('ml-25m-shaped'))
  run_script(output_dir, *ML_25M_SHAPED_ARGS)
  return output_dir


ALL_FORMATS = pytest.mark.parametrize(
    'data_format', formats.FORMATS.values(), ids=list(formats.FORMATS))
LATER = pytest.mark.parametrize(
    'data_format', LATER_FORMATS, ids=[f.name for f in LATER_FORMATS])


@ALL_FORMATS
def test_same_arguments_give_identical_bytes(format_dirs, data_format,
                                             tmp_path):
  run_script(str(tmp_path), *TINY_ARGS, *format_args(data_format))
  for name in data_format.files:
    with open(os.path.join(format_dirs[data_format.name], name),
              'rb') as first, open(tmp_path / name, 'rb') as second:
      assert first.read() == second.read(), name


@ALL_FORMATS
def test_each_format_writes_exactly_its_files(format_dirs, data_format):
  assert sorted(os.listdir(format_dirs[data_format.name])) == sorted(
      data_format.files)


@ALL_FORMATS
def test_each_format_ends_lines_with_a_bare_newline(format_dirs, data_format):
  for name in data_format.files:
    with open(os.path.join(format_dirs[data_format.name], name), 'rb') as f:
      content = f.read()
    assert content.endswith(b'\n'), name
    assert b'\r' not in content, name


@ALL_FORMATS
def test_ratings_are_on_the_formats_scale(format_dirs, data_format):
  rows = read_records(format_dirs[data_format.name], data_format,
                      data_format.ratings_file)
  assert all(len(row) == 4 for row in rows)
  spellings = {row[2] for row in rows}
  assert all(RATING_SPELLINGS[data_format.name].fullmatch(spelling)
             for spelling in spellings), sorted(spellings)
  scale = data_format.rating_scale
  assert all(scale.holds(float(spelling)) for spelling in spellings)
  # The latent model spreads over the whole scale, half stars included.
  assert len(spellings) >= scale.num_values - 2, sorted(spellings)


def test_csv_files_start_with_their_headers(format_dirs):
  for name in formats.CSV.files:
    with open(os.path.join(format_dirs[formats.CSV.name], name),
              encoding=LATER_ENCODING) as f:
      assert f.readline() == formats.CSV.header(name) + '\n', name


@LATER
def test_later_formats_are_utf8_with_accented_titles(format_dirs,
                                                     data_format):
  with open(os.path.join(format_dirs[data_format.name],
                         data_format.movies_file), 'rb') as f:
    content = f.read()
  assert ACCENTED_TITLE.encode(LATER_ENCODING) in content
  content.decode(LATER_ENCODING)


def test_csv_titles_with_commas_round_trip(format_dirs):
  path = os.path.join(format_dirs[formats.CSV.name], formats.CSV.movies_file)
  with open(path, encoding=LATER_ENCODING, newline='') as f:
    content = f.read()
  rows = list(csv.reader(io.StringIO(content), strict=True))
  assert all(len(row) == 3 for row in rows)
  titles = [title for _, title, _ in rows[1:]]
  with_commas = [title for title in titles if ',' in title]
  assert with_commas
  for title in with_commas:
    assert f'"{title}"' in content, title
  rewritten = io.StringIO()
  csv.writer(rewritten, lineterminator='\n').writerows(rows)
  assert rewritten.getvalue() == content


@LATER
def test_later_formats_list_ratings_by_user_then_movie(format_dirs,
                                                       data_format):
  rows = read_records(format_dirs[data_format.name], data_format,
                      data_format.ratings_file)
  keys = [(int(user), int(movie)) for user, movie, _, _ in rows]
  assert keys == sorted(keys)


@LATER
def test_later_formats_movies_and_genres(format_dirs, data_format):
  rows = read_records(format_dirs[data_format.name], data_format,
                      data_format.movies_file)
  assert len(rows) == TINY_MOVIES
  movie_ids = [int(row[0]) for row in rows]
  assert movie_ids == sorted(set(movie_ids))
  all_genres = []
  for _, title, genres in rows:
    assert TITLE_PATTERN.fullmatch(title), title
    names = genres.split('|')
    assert set(names) <= LATER_GENRES | {IMAX, NO_GENRES}, genres
    assert NO_GENRES not in names or names == [NO_GENRES], genres
    all_genres.extend(names)
  assert IMAX in all_genres
  assert NO_GENRES in all_genres


def test_later_formats_spell_the_same_ratings(format_dirs):
  ml_10m, csv_ratings = (
      read_format_ratings(format_dirs[data_format.name], data_format)
      for data_format in LATER_FORMATS)
  np.testing.assert_array_equal(ml_10m, csv_ratings)


def test_every_format_has_the_same_users_and_times(format_dirs):
  def user_times(data_format: formats.DataFormat) -> list[tuple]:
    ratings = read_format_ratings(format_dirs[data_format.name], data_format)
    return sorted(zip(ratings[:, 0], ratings[:, 3]))
  assert user_times(formats.ML_1M) == user_times(formats.CSV)


def test_ml_25m_shaped_sample(ml_25m_shaped_dir):
  data_format = formats.CSV
  movies = read_records(ml_25m_shaped_dir, data_format,
                        data_format.movies_file)
  movie_ids = np.array([int(row[0]) for row in movies])
  assert len(movie_ids) == ML_25M_MOVIES
  assert (np.diff(movie_ids) > 0).all()
  # Sparse ids, as ml-25m's: gaps, up to about three times the count.
  assert 2 * ML_25M_MOVIES < movie_ids.max() <= 3 * ML_25M_MOVIES
  ratings = read_format_ratings(ml_25m_shaped_dir, data_format)
  users, rated, stars, timestamps = ratings.T
  assert set(users) == set(range(1, ML_25M_USERS + 1))
  assert set(rated) <= set(movie_ids)
  assert len(set(zip(users, rated))) == len(ratings)
  assert 100 < len(ratings) / ML_25M_USERS < 153
  assert 3.2 < stars.mean() < 4.0
  assert timestamps.min() >= FIRST_TIMESTAMP
  assert timestamps.max() <= LAST_TIMESTAMP


def test_more_movies_than_plain_titles_get_sequels(tmp_path):
  run_script(str(tmp_path), '--format', 'csv', '--users', '2',
             '--movies', str(MANY_MOVIES))
  movies = read_records(str(tmp_path), formats.CSV, formats.CSV.movies_file)
  titles = [title for _, title, _ in movies]
  assert all(TITLE_PATTERN.fullmatch(title) for title in titles)
  without_years = {title.rsplit(' (', 1)[0] for title in titles}
  assert len(without_years) == MANY_MOVIES


def test_refuses_a_directory_with_another_formats_files(sample_dir,
                                                        tmp_path):
  for name in FILES:
    with open(os.path.join(sample_dir, name), 'rb') as source:
      (tmp_path / name).write_bytes(source.read())
  completed = subprocess.run(
      [sys.executable, SCRIPT, '--output-dir', str(tmp_path),
       '--format', 'csv'], capture_output=True, text=True, check=False)
  assert completed.returncode == 2
  assert "another format's files" in completed.stderr
  assert sorted(os.listdir(tmp_path)) == sorted(FILES)


def test_another_seed_gives_other_ratings(sample_dir, tmp_path):
  run_script(str(tmp_path), *TINY_ARGS, '--seed', '2')
  with open(os.path.join(sample_dir, 'ratings.dat'), 'rb') as first, open(
      tmp_path / 'ratings.dat', 'rb') as second:
    assert first.read() != second.read()


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


def assert_learnable(ratings: np.ndarray) -> None:
  """A bias baseline beats the global mean's held-out RMSE by MIN_RMSE_GAIN."""
  held_out = np.random.default_rng(0).random(len(ratings)) < HOLDOUT_SHARE
  train, test = ratings[~held_out], ratings[held_out]
  mean, user_bias, movie_bias = fit_biases(train)
  predictions = np.array([
      mean + user_bias.get(user, 0.0) + movie_bias.get(movie, 0.0)
      for user, movie, _, _ in test])
  baseline_rmse = np.sqrt(np.mean((predictions - test[:, 2]) ** 2))
  global_rmse = np.sqrt(np.mean((mean - test[:, 2]) ** 2))
  assert baseline_rmse < (1 - MIN_RMSE_GAIN) * global_rmse


def test_ratings_carry_learnable_signal(sample_dir):
  assert_learnable(read_ratings(sample_dir))


def test_half_star_ratings_carry_learnable_signal(ml_25m_shaped_dir):
  assert_learnable(read_format_ratings(ml_25m_shaped_dir, formats.CSV))
