"""Tests for components/ingestion/outputs.py: the CSV and TSV line formats."""

from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import rules
from pipeline import configs
from pipeline import features


def test_csv_header_is_the_feature_columns_in_order():
  assert outputs.CSV_HEADER.split(',') == list(features.CSV_COLUMNS)


def test_csv_line_puts_each_value_under_its_column():
  example = examples.Example(
      user_id=3, movie_id=12, rating=4, timestamp=978300760, history='7 9',
      history_ratings='5 3', user_rating_count=2, seconds_since_previous=60,
      split='train')
  user = rules.User(3, 'F', 25, 15, '98107-3245', line=3, text='')
  movie = rules.Movie(12, 1995, 'Drama|Musical', line=12, text='')
  line = outputs.csv_line(example, user, movie, movie_rating_count=8)
  assert dict(zip(features.CSV_COLUMNS, line.split(','))) == {
      features.USER_ID: '3', features.MOVIE_ID: '12', features.RATING: '4',
      features.TIMESTAMP: '978300760', features.GENDER: 'F',
      features.AGE: '25', features.OCCUPATION: '15',
      features.ZIP: '98107-3245', 'genre_1': 'Drama', 'genre_2': 'Musical',
      'genre_3': '', 'genre_4': '', 'genre_5': '', 'genre_6': '',
      features.MOVIE_YEAR: '1995', features.HISTORY: '7 9',
      features.HISTORY_RATINGS: '5 3', features.USER_RATING_COUNT: '2',
      features.SECONDS_SINCE_PREVIOUS: '60',
      features.MOVIE_RATING_COUNT: '8',
      features.USER_ACTIVITY_BUCKET: '0-9',
      features.MOVIE_POPULARITY_BUCKET: '0-9',
  }


def test_csv_line_buckets_the_counts_by_the_configured_boundaries():
  example = examples.Example(
      user_id=3, movie_id=12, rating=4, timestamp=978300760, history='7 9',
      history_ratings='5 3',
      user_rating_count=configs.USER_ACTIVITY_BOUNDARIES[-1], split='eval',
      seconds_since_previous=60)
  user = rules.User(3, 'F', 25, 15, '98107', line=3, text='')
  movie = rules.Movie(12, 1995, 'Musical', line=12, text='')
  line = outputs.csv_line(
      example, user, movie,
      movie_rating_count=configs.MOVIE_POPULARITY_BOUNDARIES[0])
  row = dict(zip(features.CSV_COLUMNS, line.split(',')))
  assert row[features.USER_ACTIVITY_BUCKET] == (
      f'{configs.USER_ACTIVITY_BOUNDARIES[-1]}+')
  assert row[features.MOVIE_POPULARITY_BUCKET] == (
      f'{configs.MOVIE_POPULARITY_BOUNDARIES[0]}-'
      f'{configs.MOVIE_POPULARITY_BOUNDARIES[1] - 1}')


def test_reject_line_escapes_tabs_so_columns_stay_four():
  reject = rules.Reject('ratings.dat', 7, rules.FIELD_COUNT, '1\t2\\3')
  line = outputs.reject_line(reject)
  assert line.split('\t') == ['ratings.dat', '7', 'field_count', '1\\t2\\\\3']
  assert outputs.REJECTS_HEADER == 'file\tline\trule\ttext'


def test_genre_cells_fill_the_genre_columns_in_order():
  cells = outputs.genre_cells(
      "Action|Adventure|Animation|Children's|Comedy|Sci-Fi")
  assert list(cells) == list(features.GENRE_COLUMNS)
  assert cells['genre_6'] == 'Sci-Fi'
  assert outputs.genre_cells('Western') == dict(
      zip(features.GENRE_COLUMNS, ['Western', '', '', '', '', '']))
