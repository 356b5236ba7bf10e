"""Tests for serving/drift.py: requests checked against the schema."""

import pytest

from contract import features
from contract import formats
from serving import drift


def _rows() -> list[dict[str, str]]:
  """Ingested rows of three users, label and every feature included."""
  rows = []
  for user in (1, 2, 3):
    row = dict.fromkeys(features.RAW_FEATURES, '')
    row.update({
        features.USER_ID: str(user), features.MOVIE_ID: str(10 + user),
        features.RATING: '4', features.TIMESTAMP: str(978300760 + user),
        features.GENDER: 'F' if user % 2 else 'M', features.AGE: '25',
        features.OCCUPATION: str(user), features.ZIP: '98107-3245',
        features.GENRE_COLUMNS[0]: 'Comedy', features.GENRE_COLUMNS[1]: 'Drama',
        features.MOVIE_YEAR: '1995', features.HISTORY: [3, 7],
        features.HISTORY_RATINGS: [5, 2],
        features.USER_RATING_COUNT: '2', features.SECONDS_SINCE_PREVIOUS: '60',
        features.MOVIE_RATING_COUNT: '8',
    })
    rows.append(row)
  return rows


def test_clean_requests_have_no_anomalies():
  assert drift.describe(drift.validate_rows(_rows(), formats.ML_1M)) == []


def test_out_of_domain_values_are_reported_by_feature():
  rows = _rows()
  rows[0][features.GENDER] = 'X'
  rows[1][features.OCCUPATION] = '99'
  rows[2][features.GENRE_COLUMNS[2]] = 'Vlog'
  lines = drift.describe(drift.validate_rows(rows, formats.ML_1M))
  assert len(lines) == 3, lines
  gender, genre, occupation = lines
  assert gender.startswith("split 'serving', feature 'gender'")
  assert 'X' in gender
  assert genre.startswith("split 'serving', feature 'genre_3'")
  assert 'Vlog' in genre
  assert occupation.startswith("split 'serving', feature 'occupation'")
  assert '99' in occupation


def test_a_history_rating_off_the_star_scale_is_reported():
  rows = _rows()
  rows[0][features.HISTORY_RATINGS] = [5, 6]
  lines = drift.describe(drift.validate_rows(rows, formats.ML_1M))
  assert [line.split(':')[0] for line in lines] == [
      "split 'serving', feature 'history_ratings'"]


def test_a_missing_required_feature_is_reported():
  rows = _rows()
  rows[0][features.GENRE_COLUMNS[0]] = ''
  lines = drift.describe(drift.validate_rows(rows, formats.ML_1M))
  assert [line.split(':')[0] for line in lines] == [
      "split 'serving', feature 'genre_1'"]


def test_no_requests_is_an_error():
  with pytest.raises(ValueError, match='no serving examples'):
    drift.validate_examples([], formats.ML_1M)
