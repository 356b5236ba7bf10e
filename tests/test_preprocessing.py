"""The preprocessing_fn run through TF Transform on a few hand-made examples."""

import functools
import itertools
import tempfile

import numpy as np
import pytest
import tensorflow_data_validation as tfdv
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata

from contract import features
from contract import formats
from contract import paths
from transforms import preprocessing

# The Transform component hands preprocessing_fn its custom_config so.
ML_1M_PREPROCESSING_FN = functools.partial(
    preprocessing.preprocessing_fn,
    custom_config={formats.CUSTOM_CONFIG_KEY: formats.ML_1M.name})


def _example(user: int, movie: int, rating: int, history: list[int],
             genres: tuple[str, ...] = ('Comedy', 'Drama'),
             history_ratings: list[int] | None = None,
             raters: tuple[int, ...] = ()) -> dict:
  if history_ratings is None:
    history_ratings = [4] * len(history)
  example = {
      features.USER_ID: [user], features.MOVIE_ID: [movie],
      features.RATING: [rating], features.TIMESTAMP: [1000 + movie],
      features.GENDER: [b'F'], features.AGE: [25], features.OCCUPATION: [4],
      features.ZIP: [b'12345-6789'],
      **{column: [genre.encode()] if genre else []
         for column, genre in itertools.zip_longest(
             features.GENRE_COLUMNS, genres, fillvalue='')},
      features.MOVIE_YEAR: [1995], features.USER_RATING_COUNT: [0],
      features.SECONDS_SINCE_PREVIOUS: [0], features.MOVIE_RATING_COUNT: [3],
      features.HISTORY: history,
      features.HISTORY_RATINGS: history_ratings,
      features.MOVIE_RATERS: list(raters),
      **{column: [] for column in features.EVALUATION_ONLY_COLUMNS},
  }
  return example


@pytest.fixture(scope='module')
def transformed() -> list[dict]:
  raw = [
      _example(1, 10, 5, []),
      _example(1, 20, 3, [10], history_ratings=[5]),
      _example(1, 30, 4, [10, 20], history_ratings=[5, 3]),
      _example(2, 20, 1, [30, 10, 999], genres=('Western', '', 'Comedy'),
               raters=(1, 777, 2)),
  ]
  metadata = dataset_metadata.DatasetMetadata(
      tfdv.load_schema_text(paths.SCHEMA_PATH))
  with tft_beam.Context(temp_dir=tempfile.mkdtemp()):
    (rows, _), _ = (raw, metadata) | tft_beam.AnalyzeAndTransformDataset(
        ML_1M_PREPROCESSING_FN, output_record_batches=False)
  return rows


def _history(row: dict) -> list[int]:
  return list(row[f'{features.HISTORY_INDICES}$ragged_values'])


def test_history_shares_the_movie_vocabulary(transformed):
  index = {20: transformed[1][features.MOVIE_INDEX],
           30: transformed[2][features.MOVIE_INDEX],
           10: transformed[0][features.MOVIE_INDEX]}
  assert _history(transformed[2]) == [index[10], index[20]]
  assert _history(transformed[3])[:2] == [index[30], index[10]]


def test_history_is_ragged_and_unknown_ids_go_to_the_oov_bucket(transformed):
  assert [len(_history(row)) for row in transformed] == [0, 1, 2, 3]
  movies_in_vocabulary = 3
  assert _history(transformed[3])[2] == movies_in_vocabulary


def test_history_ratings_are_floats_aligned_with_the_history(transformed):
  ratings = [list(row[f'{features.HISTORY_RATING_VALUES}$ragged_values'])
             for row in transformed]
  assert ratings == [[], [5.0], [5.0, 3.0], [4.0, 4.0, 4.0]]


def test_movie_raters_share_the_user_vocabulary(transformed):
  users = {1: transformed[0][features.USER_INDEX],
           2: transformed[3][features.USER_INDEX]}
  users_in_vocabulary = 2
  assert [list(row[f'{features.RATER_INDICES}$ragged_values'])
          for row in transformed] == [
              [], [], [], [users[1], users_in_vocabulary, users[2]]]


def test_history_ratings_that_do_not_line_up_with_the_history_are_refused():
  raw = [_example(1, 30, 4, [10, 20], history_ratings=[5])]
  metadata = dataset_metadata.DatasetMetadata(
      tfdv.load_schema_text(paths.SCHEMA_PATH))
  with pytest.raises(Exception, match='history_ratings must hold one rating '
                     'per movie in history'):
    with tft_beam.Context(temp_dir=tempfile.mkdtemp()):
      _ = (raw, metadata) | tft_beam.AnalyzeAndTransformDataset(
          ML_1M_PREPROCESSING_FN, output_record_batches=False)


def test_genres_are_the_non_empty_genre_columns_in_order(transformed):
  genres = [list(row[f'{features.GENRE_INDICES}$ragged_values'])
            for row in transformed]
  comedy, drama = genres[0]
  assert genres[1:3] == [[comedy, drama]] * 2
  western = ({0, 1, 2} - {comedy, drama}).pop()
  assert genres[3] == [western, comedy]


def test_labels_are_derived_from_the_rating(transformed):
  assert [row[features.RATING_LABEL] for row in transformed] == [5, 3, 4, 1]
  assert [row[features.STARS_LABEL] for row in transformed] == [4, 2, 3, 0]
  assert [row[features.LIKED_LABEL] for row in transformed] == [1, 0, 1, 0]


def test_continuous_features_are_normalized_with_powers(transformed):
  for row in transformed:
    for name in features.continuous_feature_names():
      assert 0.0 <= row[name] <= 1.0
    x = row[features.MOVIE_RATING_COUNT]
    np.testing.assert_allclose(
        row[f'{features.MOVIE_RATING_COUNT}_squared'], x * x, rtol=1e-6)
    np.testing.assert_allclose(
        row[f'{features.MOVIE_RATING_COUNT}_sqrt'], np.sqrt(x), rtol=1e-6)


def test_example_age_is_highest_for_the_oldest_example(transformed):
  # The fixture's timestamps are 1000 + movie id: movies 10, 20, 30, 20.
  ages = [row[features.EXAMPLE_AGE] for row in transformed]
  assert ages[0] > ages[1] > ages[2]
  assert ages[1] == ages[3]
