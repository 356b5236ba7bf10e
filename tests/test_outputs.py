"""Tests for components/ingestion/outputs.py: example values and encodings."""

import pytest
import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2

from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import rules
from contract import features

TYPES = {features.USER_ID: schema_pb2.INT, features.ZIP: schema_pb2.BYTES,
         features.GENRE_COLUMNS[1]: schema_pb2.BYTES,
         features.HISTORY: schema_pb2.INT}


EXAMPLE = examples.Example(
    user_id=3, movie_id=12, rating=4, timestamp=978300760, history=[7, 9],
    history_ratings=[5, 3], user_rating_count=2, seconds_since_previous=60,
    split='train')
USER = rules.User(3, 'F', 25, 15, '98107-3245', line=3, text='')
MOVIE = rules.Movie(12, 1995, 'Drama|Musical', title='Misérables, Les (1995)', line=12, text='')
CONTEXT = examples.MovieContext(rating_count=8, raters=(4, 6))


def test_example_values_hold_every_raw_feature():
  values = outputs.example_values(EXAMPLE, USER, MOVIE, CONTEXT)
  assert sorted(values) == sorted(features.RAW_FEATURES)
  assert values == {
      features.USER_ID: 3, features.MOVIE_ID: 12, features.RATING: 4,
      features.TIMESTAMP: 978300760, features.GENDER: 'F',
      features.AGE: 25, features.OCCUPATION: 15,
      features.ZIP: '98107-3245', 'genre_1': 'Drama', 'genre_2': 'Musical',
      'genre_3': '', 'genre_4': '', 'genre_5': '', 'genre_6': '',
      features.MOVIE_YEAR: 1995, features.HISTORY: [7, 9],
      features.HISTORY_RATINGS: [5, 3], features.USER_RATING_COUNT: 2,
      features.SECONDS_SINCE_PREVIOUS: 60,
      features.MOVIE_RATING_COUNT: 8, features.MOVIE_RATERS: (4, 6),
      features.USER_ACTIVITY_BUCKET: '0-9',
      features.MOVIE_POPULARITY_BUCKET: '0-9',
  }


def test_an_example_is_its_user_side_and_its_movie_side_without_overlap():
  user_side = outputs.user_values(EXAMPLE, USER)
  movie_side = outputs.movie_values(MOVIE, CONTEXT)
  assert list(movie_side) == list(features.MOVIE_FEATURES)
  assert not set(user_side) & set(movie_side)
  assert outputs.example_values(EXAMPLE, USER, MOVIE, CONTEXT) == {**user_side,
                                                              **movie_side}


def test_example_values_bucket_the_counts_by_the_configured_boundaries():
  example = examples.Example(
      user_id=3, movie_id=12, rating=4, timestamp=978300760, history=[7, 9],
      history_ratings=[5, 3],
      user_rating_count=features.USER_ACTIVITY_BOUNDARIES[-1], split='eval',
      seconds_since_previous=60)
  user = rules.User(3, 'F', 25, 15, '98107', line=3, text='')
  movie = rules.Movie(12, 1995, 'Musical', title='Misérables, Les (1995)', line=12, text='')
  values = outputs.example_values(
      example, user, movie,
      examples.MovieContext(features.MOVIE_POPULARITY_BOUNDARIES[0], ()))
  assert values[features.USER_ACTIVITY_BUCKET] == (
      f'{features.USER_ACTIVITY_BOUNDARIES[-1]}+')
  assert values[features.MOVIE_POPULARITY_BUCKET] == (
      f'{features.MOVIE_POPULARITY_BOUNDARIES[0]}-'
      f'{features.MOVIE_POPULARITY_BOUNDARIES[1] - 1}')


def test_serialized_examples_are_typed_by_the_schema_and_read_back():
  rows = [{features.USER_ID: '7', features.ZIP: 48067,
           features.GENRE_COLUMNS[1]: '', features.HISTORY: [3, 7, 3]},
          {features.USER_ID: 8, features.ZIP: '98107-3245',
           features.HISTORY: []}]
  serialized = outputs.serialize_examples(rows, TYPES)
  first = tf.train.Example.FromString(serialized[0]).features.feature
  assert list(first[features.USER_ID].int64_list.value) == [7]
  assert list(first[features.ZIP].bytes_list.value) == [b'48067']
  assert first[features.GENRE_COLUMNS[1]].WhichOneof('kind') is None
  assert list(first[features.HISTORY].int64_list.value) == [3, 7, 3]
  assert outputs.deserialize_examples(serialized) == [
      {features.USER_ID: 7, features.ZIP: '48067',
       features.HISTORY: [3, 7, 3]},
      {features.USER_ID: 8, features.ZIP: '98107-3245', features.HISTORY: []}]


def test_a_feature_outside_the_schema_is_refused_by_name():
  with pytest.raises(ValueError, match='not in the schema.*colour'):
    outputs.serialize_examples([{'colour': 'red'}], TYPES)


def test_shuffle_keys_are_fixed_distinct_and_non_negative():
  keys = [outputs.shuffle_key(user, movie)
          for user in range(1, 41) for movie in range(1, 41)]
  assert keys == [outputs.shuffle_key(user, movie)
                  for user in range(1, 41) for movie in range(1, 41)]
  assert all(0 <= key < 2**63 for key in keys)
  assert len(set(keys)) == len(keys)


def test_users_are_spread_over_the_shards():
  shards = [outputs.user_shard(user) for user in range(1, 6041)]
  assert shards == [outputs.user_shard(user) for user in range(1, 6041)]
  assert min(shards.count(shard) for shard in range(outputs.NUM_SHARDS)) > (
      0.9 * len(shards) / outputs.NUM_SHARDS)


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
