"""The Beam graph of the ingestion: parse, validate, join, build, write.

Uses Beam transforms, Beam filesystems and TensorFlow's (for the TFRecord
shards), so the same graph runs on the DirectRunner and on a distributed
runner against gs:// paths.
"""

import array
import itertools
import json
import operator
import struct
from typing import Any, Callable, Iterable, Iterator, Mapping

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems
import numpy as np
import tensorflow as tf

from components.ingestion import examples
from components.ingestion import input_files
from components.ingestion import outputs
from components.ingestion import report
from components.ingestion import rules
from contract import formats
from contract import paths

# Output tags of the parsing and grouping steps.
RECORDS = 'records'
REJECTS = 'rejects'
LINES_READ = 'lines_read'

_user_id = operator.attrgetter('user_id')
_movie_id = operator.attrgetter('movie_id')
# A rating as it crosses the shuffles by user and by shard: its movie id,
# timestamp, line number, rating and whether the rating is a whole-star int,
# packed, then its line's text in UTF-8. The in-memory runner holds a
# shuffle's values decoded, and a rating as a tuple of Python objects took
# about 300 bytes there; packed it takes about 100.
_PACKED_RATING = struct.Struct('<qqqd?')


def _packed(rating: rules.Rating) -> bytes:
  return _PACKED_RATING.pack(
      rating.movie_id, rating.timestamp, rating.line, rating.rating,
      isinstance(rating.rating, int)) + rating.text.encode('utf-8')


def _unpacked(user_id: int, packed: bytes) -> rules.Rating:
  movie_id, timestamp, line, value, whole = _PACKED_RATING.unpack_from(packed)
  return rules.Rating(user_id, movie_id, int(value) if whole else value,
                      timestamp, line,
                      packed[_PACKED_RATING.size:].decode('utf-8'))


def _by_user(rating: rules.Rating) -> tuple[int, bytes]:
  """(user id, the rating packed) for the shuffle by user.

  Beam's default coder pickles a NamedTuple with its class path for every
  element; the packed bytes it copies as they are.
  """
  return rating.user_id, _packed(rating)


def _parse_lines(readable_file: fileio.ReadableFile,
                 parse: Callable[..., Any], data_format: formats.DataFormat,
                 **side_inputs) -> Iterator[Any]:
  """Parses every line of one file; line numbers are 1-based like editors'.

  A header line, checked before the pipeline started, is skipped.
  `side_inputs` has no annotation: Beam would type-check it as a required
  dict even for the files parsed without side inputs.
  """
  file = FileSystems.split(readable_file.metadata.path)[1]
  first = rules.first_data_line(data_format, file)
  number = 0
  with readable_file.open() as lines:
    for number, raw in enumerate(iter(lines.readline, b''), start=1):
      if number < first:
        continue
      text = rules.decode_line(raw)
      try:
        yield parse(number, text, data_format=data_format, **side_inputs)
      except rules.Rejected as rejected:
        yield beam.pvalue.TaggedOutput(
            REJECTS, rules.Reject(file, number, rejected.rule, text))
  yield beam.pvalue.TaggedOutput(LINES_READ, (file, number))


class _ParseFile(beam.PTransform):
  """Reads one file into parsed RECORDS, REJECTS and its LINES_READ count."""

  def __init__(self, path: str, parse: Callable[..., Any],
               data_format: formats.DataFormat, **side_inputs: Any):
    super().__init__()
    self._path = path
    self._parse = parse
    self._data_format = data_format
    self._side_inputs = side_inputs

  def expand(self, pbegin: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
    parsed = (
        pbegin
        | 'Match' >> fileio.MatchFiles(self._path)
        | 'Open' >> fileio.ReadMatches()
        | 'Parse' >> beam.FlatMap(
            _parse_lines, self._parse, self._data_format,
            **self._side_inputs).with_outputs(
                REJECTS, LINES_READ, main=RECORDS))
    return {tag: parsed[tag] for tag in (RECORDS, REJECTS, LINES_READ)}


def _first_line_of_key(keyed_records: tuple[Any, Iterable[Any]],
                       key: Callable[[Any], Any], file: str,
                       rule: str) -> Iterator[Any]:
  """The group's earliest record, keyed; its later lines as rejects."""
  key_value, records = keyed_records
  first, later = rules.keep_first(records, key)
  yield key_value, first[0]
  for record in later:
    yield beam.pvalue.TaggedOutput(
        REJECTS, rules.Reject(file, record.line, rule, record.text))


class _KeepFirstLine(beam.PTransform):
  """(key, record) of the earliest line of each key; later lines to REJECTS.

  Without it a duplicated user or movie id would reach the side-input dicts
  and which of the lines wins would depend on the runner.
  """

  def __init__(self, key: Callable[[Any], Any], file: str, rule: str):
    super().__init__()
    self._key = key
    self._file = file
    self._rule = rule

  def expand(self, records: beam.PCollection) -> dict[str, beam.PCollection]:
    kept = (
        records
        | 'Key' >> beam.WithKeys(self._key)
        | 'Group' >> beam.GroupByKey()
        | 'KeepFirst' >> beam.FlatMap(
            _first_line_of_key, self._key, self._file, self._rule
        ).with_outputs(REJECTS, main=RECORDS))
    return {RECORDS: kept[RECORDS], REJECTS: kept[REJECTS]}


# One user's ratings after deduplication: (user id, the ratings packed, see
# _PACKED_RATING). The unit that travels from the grouping by user to the
# shard writers, which build the examples: 6,040 elements on ml-1m instead of a
# million examples, each of which Beam would encode and decode between steps.
# Alone on full ml-1m (load 0.9), the ingestion took 141 s and peaked at
# 2.9 GB when examples crossed two more steps, and 81 s and 1.4 GB this way.
UserRatings = tuple[int, list[bytes]]


def _deduplicated(keyed_ratings: tuple[int, Iterable[bytes]],
                  ratings_file: str) -> Iterator[Any]:
  """One user's ratings without repeated movies; the repeats as rejects.

  Deduplicates here because the user's group holds every rating of each of
  its user-movie pairs: no extra shuffle is needed.
  """
  user_id, packed_ratings = keyed_ratings
  kept, duplicates = rules.keep_first(
      ((_unpacked(user_id, packed), packed) for packed in packed_ratings),
      key=lambda pair: pair[0].movie_id, line=lambda pair: pair[0].line)
  for duplicate, _ in duplicates:
    yield beam.pvalue.TaggedOutput(
        REJECTS, rules.Reject(ratings_file, duplicate.line,
                              rules.DUPLICATE_PAIR, duplicate.text))
  yield user_id, [packed for _, packed in kept]


# The movies' raters accumulate as three aligned columns of 64-bit ints:
# movie id, timestamp, user id.
RaterColumns = tuple[array.array, array.array, array.array]


class _MovieRaters(beam.CombineFn):
  """Every movie's raters and their timestamps: the movies' context side input.

  Combined from the users' rating lists, so no million (movie, rating)
  pairs are shuffled. It spares a shuffle of the examples by movie, which
  held another copy of every example: on ml-1m the ingestion peaked at
  5.7 GB with that shuffle and at 3.4 GB with the movies' timestamps alone
  as this side input. The accumulator is 24 bytes a rating in `array`
  columns, where lists of (timestamp, user) tuples took 92 (a 2-tuple, its
  timestamp and a list slot; the user id object is shared).
  """

  def create_accumulator(self) -> RaterColumns:
    return array.array('q'), array.array('q'), array.array('q')

  def add_input(self, columns: RaterColumns,
                user_ratings: UserRatings) -> RaterColumns:
    user_id, packed_ratings = user_ratings
    movie_ids, timestamps, user_ids = columns
    for packed in packed_ratings:
      movie_id, timestamp = _PACKED_RATING.unpack_from(packed)[:2]
      movie_ids.append(movie_id)
      timestamps.append(timestamp)
      user_ids.append(user_id)
    return columns

  def merge_accumulators(self, accumulators: Iterable[RaterColumns]
                         ) -> RaterColumns:
    merged = self.create_accumulator()
    for columns in accumulators:
      for merged_column, column in zip(merged, columns):
        merged_column.extend(column)
    return merged

  def extract_output(self, columns: RaterColumns
                     ) -> dict[int, examples.MovieRaters]:
    return examples.raters_by_columns(
        *(np.frombuffer(column, np.int64) for column in columns))


def _keyed_by_shard(user_ratings: UserRatings) -> tuple[int, UserRatings]:
  return outputs.user_shard(user_ratings[0]), user_ratings


def _write_split_shard(path: str, split_examples: Iterable[examples.Example],
                       users: Mapping[int, rules.User] | None,
                       movies: Mapping[int, rules.Movie],
                       movie_raters: Mapping[int, examples.MovieRaters],
                       raters_length: int,
                       feature_types: Mapping[str, int]) -> None:
  """Adds the user, the movie and its context; writes one file, in order.

  Takes the examples one encoding batch at a time, so a batch's examples are
  the only ones in memory.
  """
  gzip = tf.io.TFRecordOptions(compression_type='GZIP',
                               compression_level=outputs.GZIP_LEVEL)
  split_examples = iter(split_examples)
  with tf.io.TFRecordWriter(path, gzip) as writer:
    while batch := list(itertools.islice(split_examples, outputs.ENCODE_BATCH)):
      rows = []
      for example in batch:
        context = examples.movie_context(movie_raters[example.movie_id],
                                         example.timestamp, raters_length)
        user = None if users is None else users[example.user_id]
        rows.append(outputs.example_values(
            example, user, movies[example.movie_id], context))
      for serialized in outputs.serialize_examples(rows, feature_types):
        writer.write(serialized)


def _write_shard(keyed_users: tuple[int, Iterable[UserRatings | None]],
                 examples_uri: str, history_length: int, raters_length: int,
                 split_protocol: str,
                 users: Mapping[int, rules.User] | None,
                 movies: Mapping[int, rules.Movie],
                 movie_raters: Mapping[int, examples.MovieRaters],
                 feature_types: Mapping[str, int]
                 ) -> Iterator[tuple[str, int]]:
  """Builds the examples of one shard's users and writes them, split by split.

  `users` is None for a format without demographics.

  Yields (split, examples written). Every shard of every split is written,
  empty ones included, so a split's directory always holds NUM_SHARDS files.
  A file is in shuffle-key order, fixed by the ratings, not by the runner, so
  reruns write the same examples in the same order. The shard holds its
  users' timelines and sorts the examples' places (shuffle key, user,
  position); each example is built only when its batch is written.
  """
  shard, user_ratings = keyed_users
  timelines = {}
  places = {split: [] for split in outputs.SPLITS}
  for entry in user_ratings:
    if entry is None:
      continue
    user_id, packed_ratings = entry
    timeline = timelines[user_id] = examples.user_timeline(
        (_unpacked(user_id, packed) for packed in packed_ratings),
        split_protocol)
    for position, (movie_id, split) in enumerate(
        zip(timeline.movie_ids, timeline.row_splits)):
      places[split].append(
          (outputs.shuffle_key(user_id, movie_id), user_id, position))
  for split, split_places in places.items():
    split_places.sort()
    tf.io.gfile.makedirs(paths.split_dir(examples_uri, split))
    _write_split_shard(
        outputs.shard_path(examples_uri, split, shard),
        (examples.example_at(timelines[user_id], position, history_length)
         for _, user_id, position in split_places),
        users, movies, movie_raters, raters_length, feature_types)
    yield split, len(split_places)


def _report_json(_: None, data_format: str, split_protocol: str,
                 history_length: int, raters_length: int,
                 lines_read: Mapping[str, int],
                 rule_counts: Mapping[str, int],
                 first_rejects: Mapping[str, tuple[str, int]],
                 split_rows: Mapping[str, int]) -> str:
  return json.dumps(
      report.build_report(data_format, split_protocol, history_length,
                          raters_length, lines_read, rule_counts,
                          first_rejects, split_rows),
      indent=2)


def _rule_and_place(reject: rules.Reject) -> tuple[str, tuple[str, int]]:
  return reject.rule, (reject.file, reject.line)


def ingest(pipeline: beam.Pipeline, files: input_files.InputFiles,
           split_protocol: str, history_length: int, raters_length: int,
           feature_types: Mapping[str, int], examples_uri: str,
           report_uri: str) -> None:
  """Adds the whole ingestion of `files` to `pipeline`.

  Examples go to `examples_uri` (typed by `feature_types`, the curated
  schema's), rejected lines and the report to `report_uri`. Without a users
  file (files.users is None) the examples carry no demographics and every
  rating's user is known.
  """
  data_format = files.data_format
  parsed = []
  unique = []
  users_by_id = None
  if files.users is not None:
    users = pipeline | 'ParseUsers' >> _ParseFile(
        files.users, rules.parse_user, formats.ML_1M)
    unique_users = users[RECORDS] | 'UniqueUsers' >> _KeepFirstLine(
        _user_id, data_format.users_file, rules.DUPLICATE_USER)
    users_by_id = beam.pvalue.AsDict(unique_users[RECORDS])
    parsed.append(users)
    unique.append(unique_users)

  movies = pipeline | 'ParseMovies' >> _ParseFile(
      files.movies, rules.parse_movie, data_format)
  unique_movies = movies[RECORDS] | 'UniqueMovies' >> _KeepFirstLine(
      _movie_id, data_format.movies_file, rules.DUPLICATE_MOVIE)
  movies_by_id = beam.pvalue.AsDict(unique_movies[RECORDS])

  ratings = pipeline | 'ParseRatings' >> _ParseFile(
      files.ratings, rules.parse_rating, data_format, user_ids=users_by_id,
      movie_ids=movies_by_id)
  parsed.extend((movies, ratings))
  unique.append(unique_movies)
  user_ratings = (
      ratings[RECORDS]
      | 'KeyByUser' >> beam.Map(_by_user)
      | 'GroupByUser' >> beam.GroupByKey()
      | 'Deduplicate' >> beam.FlatMap(
          _deduplicated, data_format.ratings_file).with_outputs(
              REJECTS, main=RECORDS))
  movie_raters = user_ratings[RECORDS] | 'MovieRaters' >> (
      beam.CombineGlobally(_MovieRaters()))
  every_shard = pipeline | 'EveryShard' >> beam.Create(
      [(shard, None) for shard in range(outputs.NUM_SHARDS)])
  split_counts = (
      (user_ratings[RECORDS] | 'KeyByShard' >> beam.Map(_keyed_by_shard),
       every_shard)
      | 'AllShards' >> beam.Flatten()
      | 'GroupByShard' >> beam.GroupByKey()
      | 'WriteShards' >> beam.FlatMap(
          _write_shard, examples_uri, history_length, raters_length,
          split_protocol, users=users_by_id, movies=movies_by_id,
          movie_raters=beam.pvalue.AsSingleton(movie_raters),
          feature_types=feature_types)
      | 'CountRows' >> beam.CombinePerKey(sum))

  rejects = (
      *(file[REJECTS] for file in parsed),
      *(records[REJECTS] for records in unique),
      user_ratings[REJECTS],
  ) | 'AllRejects' >> beam.Flatten()
  _ = (
      rejects
      | 'RejectLines' >> beam.Map(outputs.reject_line)
      | 'WriteRejects' >> beam.io.WriteToText(
          FileSystems.join(report_uri, outputs.REJECTS_DIR,
                           outputs.REJECTS_PREFIX),
          file_name_suffix='.tsv', header=outputs.REJECTS_HEADER))

  lines_read = (
      tuple(file[LINES_READ] for file in parsed)
      | 'AllLinesRead' >> beam.Flatten())
  rule_counts = (
      rejects
      | 'Rules' >> beam.Map(operator.attrgetter('rule'))
      | 'CountRules' >> beam.combiners.Count.PerElement())
  first_rejects = (
      rejects
      | 'RulePlaces' >> beam.Map(_rule_and_place)
      | 'FirstPerRule' >> beam.CombinePerKey(min))
  _ = (
      pipeline
      | 'ReportSeed' >> beam.Create([None])
      | 'BuildReport' >> beam.Map(
          _report_json, data_format.name, split_protocol, history_length,
          raters_length,
          lines_read=beam.pvalue.AsDict(lines_read),
          rule_counts=beam.pvalue.AsDict(rule_counts),
          first_rejects=beam.pvalue.AsDict(first_rejects),
          split_rows=beam.pvalue.AsDict(split_counts))
      | 'WriteReport' >> beam.io.WriteToText(
          FileSystems.join(report_uri, outputs.REPORT_FILE),
          shard_name_template='', num_shards=1))
