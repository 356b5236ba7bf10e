"""End-to-end tests of components/ingestion/executor.py on hand-made files.

Each test runs the real Beam graph on the DirectRunner, so the runs are shared
through module-scoped fixtures to keep the file fast.
"""

import glob
import hashlib
import json
import os

import pytest
import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.types import artifact_utils
from tfx.types import standard_artifacts

from components import curated_schema
from components.ingestion import component
from components.ingestion import examples
from components.ingestion import executor
from components.ingestion import outputs
from components.ingestion import rules
from contract import features
from contract import formats
from contract import paths
from contract import splits

BEAM_ARGS = ['--direct_running_mode=in_memory', '--direct_num_workers=1']
MULTI_PROCESSING_ARGS = ['--direct_running_mode=multi_processing',
                         '--direct_num_workers=2']
HISTORY_LENGTH = 3
RATERS_LENGTH = 1

USERS = ['1::F::1::10::48067', '2::M::56::16::70072',
         '3::M::25::15::98107-3245']
MOVIES = [f'{movie_id}::Movie {movie_id} (19{80 + movie_id})::Drama|Comedy'
          for movie_id in range(1, 12)] + ['12::Misérables, Les (1995)::Drama']
# User 1 rates movies 1..11 (ties at second 1000), user 2 ties user 1 on
# movie 1, user 3 rates movie 1 later and movie 12 (a non-ASCII title).
RATINGS = (
    [f'1::{movie_id}::{movie_id % 5 + 1}::{1000 + 100 * (movie_id // 3)}'
     for movie_id in range(11, 0, -1)]
    + ['2::1::3::1000', '2::2::4::1500', '3::1::5::2000', '3::12::2::2000'])

# The same data with one or more broken lines for every reject rule.
DIRTY_USERS = USERS + [
    '', '4::X::25::15::55117', '5::M::26::15::55117', '6::M::25::21::55117',
    '7::M::25::15', 'x::M::25::15::55117', '2::F::18::3::11111',
    '8::M::25::15::55,117']
DIRTY_MOVIES = MOVIES + [
    '13::No Year::Drama', '14::Thing (2000)::', '2::Jumanji (1995)::Drama']
DIRTY_RATINGS = RATINGS + [
    '1::1::3.5::1000', '1::1::abc::1000', '1::2::6::1000', '1::2::0::1000',
    '1::3::4::-5', '99::1::4::1000', '4::1::4::1000', '1::99::4::1000',
    '1::13::4::1000', '1::1::5::5000', '1::1::4', '', '1\t1\t4\t1000']
EXPECTED_REJECTS = {
    ('users.dat', 4, rules.EMPTY_LINE),
    ('users.dat', 5, rules.BAD_GENDER),
    ('users.dat', 6, rules.BAD_AGE),
    ('users.dat', 7, rules.BAD_OCCUPATION),
    ('users.dat', 8, rules.FIELD_COUNT),
    ('users.dat', 9, rules.NON_NUMERIC),
    ('users.dat', 10, rules.DUPLICATE_USER),
    ('users.dat', 11, rules.BAD_ZIP),
    ('movies.dat', 13, rules.BAD_TITLE),
    ('movies.dat', 14, rules.BAD_GENRES),
    ('movies.dat', 15, rules.DUPLICATE_MOVIE),
    ('ratings.dat', 16, rules.NON_NUMERIC),
    ('ratings.dat', 17, rules.NON_NUMERIC),
    ('ratings.dat', 18, rules.RATING_RANGE),
    ('ratings.dat', 19, rules.RATING_RANGE),
    ('ratings.dat', 20, rules.NEGATIVE_TIMESTAMP),
    ('ratings.dat', 21, rules.UNKNOWN_USER),
    ('ratings.dat', 22, rules.UNKNOWN_USER),
    ('ratings.dat', 23, rules.UNKNOWN_MOVIE),
    ('ratings.dat', 24, rules.UNKNOWN_MOVIE),
    ('ratings.dat', 25, rules.DUPLICATE_PAIR),
    ('ratings.dat', 26, rules.FIELD_COUNT),
    ('ratings.dat', 27, rules.EMPTY_LINE),
    ('ratings.dat', 28, rules.FIELD_COUNT),
}


def _write_data(data_dir, users, movies, ratings) -> str:
  """Writes users with CRLF and movies as UTF-8: both must be accepted."""
  os.makedirs(data_dir)
  with open(os.path.join(data_dir, 'users.dat'), 'wb') as file:
    file.write(''.join(f'{line}\r\n' for line in users).encode('latin-1'))
  with open(os.path.join(data_dir, 'movies.dat'), 'wb') as file:
    file.write(''.join(f'{line}\n' for line in movies).encode('utf-8'))
  with open(os.path.join(data_dir, 'ratings.dat'), 'wb') as file:
    file.write(''.join(f'{line}\n' for line in ratings).encode('latin-1'))
  return str(data_dir)


def _run(data_dir: str, output_dir, split_protocol: str = splits.TEMPORAL,
         max_reject_share: float = 0.0, beam_args: list[str] = BEAM_ARGS):
  """Calls Do as the TFX launcher would; returns (examples, report)."""
  schema = standard_artifacts.Schema()
  schema.uri = str(output_dir / 'schema')
  os.makedirs(schema.uri)
  curated_schema.import_schema(paths.SCHEMA_PATH, formats.ML_1M, schema.uri)
  examples_artifact = standard_artifacts.Examples()
  examples_artifact.uri = str(output_dir / 'examples')
  report = component.IngestionReport()
  report.uri = str(output_dir / 'report')
  context = executor.Executor.Context(
      beam_pipeline_args=beam_args, tmp_dir=str(output_dir / 'tmp'),
      unique_id='test')
  executor.Executor(context).Do(
      {executor.SCHEMA_KEY: [schema]},
      {executor.EXAMPLES_KEY: [examples_artifact],
       executor.REPORT_KEY: [report]},
      {executor.DATA_DIR_KEY: data_dir,
       executor.DATA_FORMAT_KEY: formats.ML_1M.name,
       executor.SPLIT_PROTOCOL_KEY: split_protocol,
       executor.HISTORY_LENGTH_KEY: HISTORY_LENGTH,
       executor.RATERS_LENGTH_KEY: RATERS_LENGTH,
       executor.MAX_REJECT_SHARE_KEY: max_reject_share})
  return examples_artifact, report


def _records(uri: str, split: str) -> list[bytes]:
  """A split's serialized examples, shard by shard in file order."""
  files = sorted(glob.glob(os.path.join(paths.split_dir(uri, split), '*')))
  return [record.numpy() for record in tf.data.TFRecordDataset(
      files, compression_type='GZIP')]


def _text(value: outputs.Value) -> str:
  """A value as text; a list as its values joined by spaces."""
  if isinstance(value, list):
    return ' '.join(str(item) for item in value)
  return str(value)


def _rows(uri: str, split: str) -> list[dict[str, str]]:
  """Every example as text, '' where it has no value, to compare with literals."""
  return [{name: _text(row.get(name, '')) for name in features.RAW_FEATURES}
          for row in outputs.deserialize_examples(_records(uri, split))]


def _by_pair(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict]:
  return {(row[features.USER_ID], row[features.MOVIE_ID]): row for row in rows}


def _every_example(examples_uri: str) -> dict[tuple[str, str], dict]:
  """The examples of both splits by pair.

  The temporal split of an example moves with the number of its user's
  ratings, and a split is not a feature.
  """
  return _by_pair(_rows(examples_uri, splits.TRAIN_SPLIT)
                  + _rows(examples_uri, splits.EVAL_SPLIT))


def _report(uri: str) -> dict:
  with open(os.path.join(uri, 'report.json')) as file:
    return json.load(file)


def _rejects(uri: str) -> list[list[str]]:
  paths = glob.glob(os.path.join(uri, 'rejects', 'rejects-*.tsv'))
  assert paths
  lines = []
  for path in paths:
    with open(path) as file:
      assert file.readline() == 'file\tline\trule\ttext\n'
      lines.extend(line.rstrip('\n').split('\t') for line in file)
  return lines


@pytest.fixture(scope='module')
def clean_run(tmp_path_factory):
  root = tmp_path_factory.mktemp('clean')
  data_dir = _write_data(root / 'data', USERS, MOVIES, RATINGS)
  return _run(data_dir, root / 'out')


@pytest.fixture(scope='module')
def dirty_run(tmp_path_factory):
  root = tmp_path_factory.mktemp('dirty')
  data_dir = _write_data(root / 'data', DIRTY_USERS, DIRTY_MOVIES,
                         DIRTY_RATINGS)
  return _run(data_dir, root / 'out', max_reject_share=1.0)


def test_writes_the_splits_with_the_temporal_counts(clean_run):
  examples_artifact, _ = clean_run
  # User 1: 11 ratings -> 2 in eval; user 2: 2 -> 1; user 3: 2 -> 1.
  assert len(_rows(examples_artifact.uri, splits.TRAIN_SPLIT)) == 11
  assert len(_rows(examples_artifact.uri, splits.EVAL_SPLIT)) == 4
  eval_pairs = set(_by_pair(_rows(examples_artifact.uri, splits.EVAL_SPLIT)))
  assert eval_pairs == {('1', '10'), ('1', '11'), ('2', '2'), ('3', '12')}


def test_rows_join_user_and_movie_features(clean_run):
  examples_artifact, _ = clean_run
  rows = _by_pair(_rows(examples_artifact.uri, splits.TRAIN_SPLIT)
                  + _rows(examples_artifact.uri, splits.EVAL_SPLIT))
  row = rows[('3', '12')]
  assert (row[features.GENDER], row[features.AGE], row[features.OCCUPATION],
          row[features.ZIP]) == ('M', '25', '15', '98107-3245')
  assert (row['genre_1'], row['genre_2'], row[features.MOVIE_YEAR]) == (
      'Drama', '', '1995')
  assert (rows[('1', '4')]['genre_1'], rows[('1', '4')]['genre_2']) == (
      'Drama', 'Comedy')


def test_history_is_the_last_earlier_movies_with_ties_by_movie_id(clean_run):
  examples_artifact, _ = clean_run
  rows = _by_pair(_rows(examples_artifact.uri, splits.TRAIN_SPLIT)
                  + _rows(examples_artifact.uri, splits.EVAL_SPLIT))
  # User 1 order: 1 2 | 3 4 5 | 6 7 8 | 9 10 11 (ties at the same second).
  assert rows[('1', '1')][features.HISTORY] == ''
  assert rows[('1', '2')][features.HISTORY] == '1'
  assert rows[('1', '6')][features.HISTORY] == '3 4 5'
  # User 1 rated movie m with m % 5 + 1 stars.
  assert rows[('1', '6')][features.HISTORY_RATINGS] == '4 5 1'
  assert rows[('1', '1')][features.HISTORY_RATINGS] == ''
  assert rows[('1', '6')][features.USER_RATING_COUNT] == '5'
  assert rows[('1', '6')][features.SECONDS_SINCE_PREVIOUS] == '100'
  assert rows[('1', '7')][features.SECONDS_SINCE_PREVIOUS] == '0'
  assert rows[('3', '12')][features.HISTORY] == '1'
  assert rows[('3', '12')][features.HISTORY_RATINGS] == '5'


def test_movie_rating_count_ignores_same_second_ratings(clean_run):
  rows = _every_example(clean_run[0].uri)
  # Movie 1: users 1 and 2 at second 1000, user 3 at 2000.
  assert [rows[(user_id, '1')][features.MOVIE_RATING_COUNT]
          for user_id in ('1', '2', '3')] == ['0', '0', '2']
  # Movie 2: user 1 at 1000, user 2 at 1500 (in eval: splits do not matter).
  assert [rows[(user_id, '2')][features.MOVIE_RATING_COUNT]
          for user_id in ('1', '2')] == ['0', '1']


def test_movie_raters_are_the_newest_earlier_seconds_raters(clean_run):
  rows = _every_example(clean_run[0].uri)
  # Movie 1: users 1 and 2 at second 1000, user 3 at 2000; user 3's
  # example keeps the newest RATERS_LENGTH of its two earlier raters.
  assert [rows[(user_id, '1')][features.MOVIE_RATERS]
          for user_id in ('1', '2', '3')] == ['', '', '2']


def test_slice_buckets_follow_the_earlier_counts(clean_run):
  examples_artifact, _ = clean_run
  rows = (_rows(examples_artifact.uri, splits.TRAIN_SPLIT)
          + _rows(examples_artifact.uri, splits.EVAL_SPLIT))
  for row in rows:
    assert row[features.USER_ACTIVITY_BUCKET] == examples.bucket_label(
        int(row[features.USER_RATING_COUNT]), features.USER_ACTIVITY_BOUNDARIES)
    assert row[features.MOVIE_POPULARITY_BUCKET] == examples.bucket_label(
        int(row[features.MOVIE_RATING_COUNT]),
        features.MOVIE_POPULARITY_BOUNDARIES)
  # User 1's 11th rating has 10 earlier ones.
  assert _by_pair(rows)[('1', '11')][features.USER_ACTIVITY_BUCKET] == '10-49'
  assert _by_pair(rows)[('1', '1')][features.USER_ACTIVITY_BUCKET] == '0-9'


# The leak checks perturb RATINGS around this second: user 1 rates movies
# 6-8 at it, movies 9-11 after it; users 2 and 3 rate after it too.
CUTOFF = 1200


def _parsed(line: str) -> list[int]:
  return [int(field) for field in line.split('::')]


def _line(user_id: int, movie_id: int, rating: int, timestamp: int) -> str:
  return f'{user_id}::{movie_id}::{rating}::{timestamp}'


def _ingested(run_dir, ratings: list[str]) -> dict[tuple[str, str], dict]:
  """Every example of an ingestion of `ratings` with USERS and MOVIES."""
  examples_artifact, _ = _run(
      _write_data(run_dir / 'data', USERS, MOVIES, ratings), run_dir / 'out')
  return _every_example(examples_artifact.uri)


def test_no_feature_of_an_example_moves_when_later_ratings_change(
    clean_run, tmp_path):
  """Later ratings changed, added and removed, by the user and by others.

  Later ratings of the same movies (7 by user 2) and of the same user
  (12 by user 1) included; every feature of the examples up to CUTOFF stays.
  """
  before = _every_example(clean_run[0].uri)
  perturbed = []
  for line in RATINGS:
    user_id, movie_id, rating, timestamp = _parsed(line)
    if timestamp <= CUTOFF:
      perturbed.append(line)
    elif (user_id, movie_id) != (2, 2):
      perturbed.append(_line(user_id, movie_id, rating % 5 + 1, timestamp))
  perturbed += [_line(1, 12, 1, CUTOFF + 1), _line(2, 7, 5, CUTOFF + 50),
                _line(3, 6, 2, 3000)]
  after = _ingested(tmp_path, perturbed)

  kept = [pair for pair, row in before.items()
          if int(row[features.TIMESTAMP]) <= CUTOFF]
  assert len(kept) == 9
  for pair in kept:
    assert after[pair] == before[pair], pair
  assert any(after.get(pair) != row for pair, row in before.items()
             if pair not in kept)


def test_each_derived_feature_moves_when_an_earlier_rating_changes(
    clean_run, tmp_path):
  """One earlier rating changed or added per case; a later example's feature moves."""
  before = _every_example(clean_run[0].uri)
  # feature: (the line replaced or None to add, the new line, the example).
  cases = {
      # User 1 rated movie 1 with 2 at second 1000; movie 4 (1100) sees it.
      features.HISTORY_RATINGS: ('1::1::2::1000', '1::1::5::1000', ('1', '4')),
      # User 1 rated movie 3 at 1100. Moved before movie 1, it leaves the
      # 3-movie history of movie 5 (1100), and movie 1 enters it.
      features.HISTORY: ('1::3::4::1100', '1::3::4::900', ('1', '5')),
      # One more rating of user 1, before all of theirs.
      features.USER_RATING_COUNT: (None, '1::12::3::500', ('1', '11')),
      # User 1 rated movie 8 at 1200, the one before movie 9 at 1300.
      features.SECONDS_SINCE_PREVIOUS: ('1::8::4::1200', '1::8::4::1250',
                                        ('1', '9')),
      # User 2 rated movie 2 at 1500, after user 1; now before.
      features.MOVIE_RATING_COUNT: ('2::2::4::1500', '2::2::4::900',
                                    ('1', '2')),
      # User 3 rates movie 2 at 1200, before user 2 (1500): a new rater.
      features.MOVIE_RATERS: (None, '3::2::4::1200', ('2', '2')),
  }
  for feature, (replaced, added, pair) in cases.items():
    assert replaced is None or replaced in RATINGS, replaced
    ratings = [line for line in RATINGS if line != replaced] + [added]
    after = _ingested(tmp_path / feature, ratings)
    assert after[pair][feature] != before[pair][feature], feature


# RATINGS with an eval rating that a later example of its user sees in both
# protocols: random90 puts (2, 2) and (3, 2) in eval, temporal user 1's last
# two, (1, 10) and (1, 11), and (2, 3) and (3, 12).
EXPOSURE_RATINGS = RATINGS + ['2::3::5::1600', '3::2::4::1900']


def _eval_pairs(examples_uri: str) -> set[tuple[str, str]]:
  return set(_by_pair(_rows(examples_uri, splits.EVAL_SPLIT)))


@pytest.fixture(scope='module', params=[splits.RANDOM90, splits.TEMPORAL])
def exposure_run(request, tmp_path_factory):
  """(protocol, every example by pair, the eval pairs) of EXPOSURE_RATINGS."""
  root = tmp_path_factory.mktemp(request.param)
  examples_artifact, _ = _run(
      _write_data(root / 'data', USERS, MOVIES, EXPOSURE_RATINGS),
      root / 'out', split_protocol=request.param)
  return (request.param, _every_example(examples_artifact.uri),
          _eval_pairs(examples_artifact.uri))


def test_no_history_rating_holds_an_eval_ratings_value(exposure_run):
  """An earlier eval rating keeps its movie in history; its value is unknown."""
  _, rows, eval_pairs = exposure_run
  values = {(str(user_id), str(movie_id)): str(rating) for user_id, movie_id,
            rating, _ in map(_parsed, EXPOSURE_RATINGS)}
  unknown = 0
  for (user_id, _), row in rows.items():
    history = row[features.HISTORY].split()
    history_ratings = row[features.HISTORY_RATINGS].split()
    assert len(history) == len(history_ratings)
    for movie_id, value in zip(history, history_ratings):
      if (user_id, movie_id) in eval_pairs:
        assert value == str(features.UNKNOWN_RATING), (user_id, movie_id)
        unknown += 1
      else:
        assert value == values[user_id, movie_id], (user_id, movie_id)
  assert unknown > 0


def test_no_feature_moves_when_an_eval_ratings_value_changes(exposure_run,
                                                             tmp_path):
  """Every eval rating's value changed: only those examples' own labels move."""
  protocol, before, eval_pairs = exposure_run
  perturbed = []
  for line in EXPOSURE_RATINGS:
    user_id, movie_id, rating, timestamp = _parsed(line)
    if (str(user_id), str(movie_id)) in eval_pairs:
      line = _line(user_id, movie_id, rating % 5 + 1, timestamp)
    perturbed.append(line)
  examples_artifact, _ = _run(
      _write_data(tmp_path / 'data', USERS, MOVIES, perturbed),
      tmp_path / 'out', split_protocol=protocol)
  after = _every_example(examples_artifact.uri)
  assert after.keys() == before.keys()
  for pair, row in before.items():
    moved = {name for name in row if after[pair][name] != row[name]}
    assert moved == ({features.RATING} if pair in eval_pairs else set()), pair


def test_report_and_outputs_of_a_clean_run(clean_run):
  _, ingestion_report = clean_run
  report = _report(ingestion_report.uri)
  assert report['lines_read'] == {
      'ratings.dat': len(RATINGS), 'users.dat': len(USERS),
      'movies.dat': len(MOVIES)}
  assert report['rows'] == {'train': 11, 'eval': 4}
  assert (report['history_length'], report['raters_length']) == (
      HISTORY_LENGTH, RATERS_LENGTH)
  assert report['rejected_lines'] == 0
  assert set(report['rejects'].values()) == {0}
  assert _rejects(ingestion_report.uri) == []
  assert ingestion_report.get_int_custom_property('eval_rows') == 4


def test_examples_are_laid_out_and_recorded_as_example_gen_does(clean_run):
  examples_artifact, _ = clean_run
  assert artifact_utils.decode_split_names(
      examples_artifact.split_names) == ['train', 'eval']
  assert examples_artifact.get_string_custom_property('payload_format') == (
      'FORMAT_TF_EXAMPLE')
  assert examples_artifact.get_string_custom_property('file_format') == (
      'tfrecords_gzip')
  for split in ('train', 'eval'):
    assert sorted(os.listdir(paths.split_dir(examples_artifact.uri,
                                             split))) == [
        f'data_tfrecord-{shard:05d}-of-{outputs.NUM_SHARDS:05d}.gz'
        for shard in range(outputs.NUM_SHARDS)]


def test_every_feature_has_the_schema_type_even_numeric_zips(clean_run):
  examples_artifact, _ = clean_run
  types = {feature.name: feature.type for feature in
           curated_schema.tfdv.load_schema_text(paths.SCHEMA_PATH).feature}
  kinds = {schema_pb2.INT: 'int64_list', schema_pb2.BYTES: 'bytes_list'}
  for record in _records(examples_artifact.uri, splits.TRAIN_SPLIT):
    example = tf.train.Example.FromString(record)
    for name, feature in example.features.feature.items():
      assert feature.WhichOneof('kind') in (None, kinds[types[name]]), name
  # users.dat's zip codes 48067 and 70072 are all digits: still text.
  zips = {row[features.ZIP] for row in _rows(examples_artifact.uri, 'train')}
  assert {'48067', '70072'} <= zips


def test_each_shard_holds_its_users_in_shuffled_order(clean_run):
  examples_artifact, _ = clean_run
  shard_users = []
  for shard in range(outputs.NUM_SHARDS):
    path = outputs.shard_path(examples_artifact.uri, splits.TRAIN_SPLIT, shard)
    rows = outputs.deserialize_examples(
        record.numpy() for record in tf.data.TFRecordDataset(
            path, compression_type='GZIP'))
    users = {row[features.USER_ID] for row in rows}
    assert {outputs.user_shard(user) for user in users} <= {shard}
    keys = [outputs.shuffle_key(row[features.USER_ID], row[features.MOVIE_ID])
            for row in rows]
    assert keys == sorted(keys)
    shard_users.append(users)
  assert sum(1 for users in shard_users if users) > 1
  movies = [row[features.MOVIE_ID] for row in _rows(
      examples_artifact.uri, splits.TRAIN_SPLIT)]
  assert movies != sorted(movies)


def test_random90_follows_the_benchmark_hash(tmp_path):
  data_dir = _write_data(tmp_path / 'data', USERS, MOVIES, RATINGS)
  examples_artifact, _ = _run(data_dir, tmp_path / 'out', splits.RANDOM90)
  expected_eval = set()
  for line in RATINGS:
    user_id, movie_id = line.split('::')[:2]
    digest = hashlib.md5(f'{user_id}:{movie_id}'.encode()).hexdigest()
    if int(digest[:8], 16) % 10 == 0:
      expected_eval.add((user_id, movie_id))
  eval_rows = _by_pair(_rows(examples_artifact.uri, splits.EVAL_SPLIT))
  assert set(eval_rows) == expected_eval
  assert len(_rows(examples_artifact.uri, splits.TRAIN_SPLIT)) == (
      len(RATINGS) - len(expected_eval))


def test_every_rule_rejects_with_file_and_line(dirty_run):
  _, ingestion_report = dirty_run
  rejects = _rejects(ingestion_report.uri)
  assert {(file, int(line), rule) for file, line, rule, _ in rejects} == (
      EXPECTED_REJECTS)
  assert ['ratings.dat', '28', rules.FIELD_COUNT, '1\\t1\\t4\\t1000'] in rejects
  report = _report(ingestion_report.uri)
  assert report['rejected_lines'] == len(EXPECTED_REJECTS)
  assert report['rejects'][rules.NON_NUMERIC] == 3
  assert report['lines_read']['ratings.dat'] == len(DIRTY_RATINGS)


def test_rejected_lines_leave_the_examples_unchanged(clean_run, dirty_run):
  clean, _ = clean_run
  dirty, _ = dirty_run
  for split in (splits.TRAIN_SPLIT, splits.EVAL_SPLIT):
    assert _by_pair(_rows(dirty.uri, split)) == (
        _by_pair(_rows(clean.uri, split)))


def test_too_many_rejects_fail_the_run(tmp_path):
  data_dir = _write_data(tmp_path / 'data', DIRTY_USERS, DIRTY_MOVIES,
                         DIRTY_RATINGS)
  with pytest.raises(rules.IngestionError) as error:
    _run(data_dir, tmp_path / 'out', max_reject_share=0.05)
  message = str(error.value)
  assert 'max_reject_share 5.00%' in message
  assert f'Rejected {len(EXPECTED_REJECTS)} of' in message
  assert 'non_numeric=3' in message
  assert os.path.join(str(tmp_path / 'out'), 'report', 'rejects',
                      'rejects-*.tsv') in message


def test_file_level_errors_stop_before_beam(tmp_path):
  data_dir = _write_data(tmp_path / 'data', USERS, MOVIES, RATINGS)
  os.remove(os.path.join(data_dir, 'movies.dat'))
  with pytest.raises(rules.IngestionError, match='movies.dat: missing file'):
    _run(data_dir, tmp_path / 'out')
  assert not os.path.exists(tmp_path / 'out' / 'examples')
  assert not os.path.exists(tmp_path / 'out' / 'report')


def test_bad_parameters_fail_early(tmp_path):
  data_dir = _write_data(tmp_path / 'data', USERS, MOVIES, RATINGS)
  with pytest.raises(ValueError, match='split_protocol'):
    _run(data_dir, tmp_path / 'out', split_protocol='random50')


def test_multi_processing_workers_write_what_one_process_writes(
    dirty_run, tmp_path):
  """Separate worker processes share no state: the output must not change."""
  data_dir = _write_data(tmp_path / 'data', DIRTY_USERS, DIRTY_MOVIES,
                         DIRTY_RATINGS)
  parallel, parallel_report = _run(data_dir, tmp_path / 'out',
                                   max_reject_share=1.0,
                                   beam_args=MULTI_PROCESSING_ARGS)
  single, single_report = dirty_run
  # The same examples in the same order (a tf.Example's bytes may list its
  # features in another order, so the parsed examples are compared).
  for split in (splits.TRAIN_SPLIT, splits.EVAL_SPLIT):
    assert _rows(parallel.uri, split) == _rows(single.uri, split)
  assert sorted(_rejects(parallel_report.uri)) == sorted(
      _rejects(single_report.uri))
  assert _report(parallel_report.uri) == _report(single_report.uri)
