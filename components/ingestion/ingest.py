"""The Beam graph of the ingestion: parse, validate, join, build, write.

Uses only Beam transforms and Beam filesystems, so the same graph runs on the
DirectRunner and on a distributed runner against gs:// paths.
"""

import json
import operator
from typing import Any, Callable, Iterable, Iterator, Mapping

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems

from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import report
from components.ingestion import rules

# Output tags of the parsing and grouping steps.
RECORDS = 'records'
REJECTS = 'rejects'
LINES_READ = 'lines_read'

_user_id = operator.attrgetter('user_id')
_movie_id = operator.attrgetter('movie_id')


def _parse_lines(readable_file: fileio.ReadableFile,
                 parse: Callable[..., Any], **side_inputs) -> Iterator[Any]:
  """Parses every line of one file; line numbers are 1-based like editors'.

  `side_inputs` has no annotation: Beam would type-check it as a required
  dict even for the files parsed without side inputs.
  """
  file = FileSystems.split(readable_file.metadata.path)[1]
  number = 0
  with readable_file.open() as lines:
    for number, raw in enumerate(iter(lines.readline, b''), start=1):
      text = rules.decode_line(raw)
      try:
        yield parse(number, text, **side_inputs)
      except rules.Rejected as rejected:
        yield beam.pvalue.TaggedOutput(
            REJECTS, rules.Reject(file, number, rejected.rule, text))
  yield beam.pvalue.TaggedOutput(LINES_READ, (file, number))


class _ParseFile(beam.PTransform):
  """Reads one file into parsed RECORDS, REJECTS and its LINES_READ count."""

  def __init__(self, path: str, parse: Callable[..., Any], **side_inputs: Any):
    super().__init__()
    self._path = path
    self._parse = parse
    self._side_inputs = side_inputs

  def expand(self, pbegin: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
    parsed = (
        pbegin
        | 'Match' >> fileio.MatchFiles(self._path)
        | 'Open' >> fileio.ReadMatches()
        | 'Parse' >> beam.FlatMap(
            _parse_lines, self._parse, **self._side_inputs).with_outputs(
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


def _user_examples(keyed_ratings: tuple[int, Iterable[rules.Rating]],
                   history_length: int, split_protocol: str) -> Iterator[Any]:
  """Examples of one user, keyed by movie for the popularity step.

  Deduplicates here because the user's group holds every rating of each of
  its user-movie pairs: no extra shuffle is needed.
  """
  _, ratings = keyed_ratings
  kept, duplicates = rules.keep_first(ratings, key=_movie_id)
  for duplicate in duplicates:
    yield beam.pvalue.TaggedOutput(
        REJECTS, rules.Reject(rules.RATINGS_FILE, duplicate.line,
                              rules.DUPLICATE_PAIR, duplicate.text))
  for example in examples.user_examples(kept, history_length, split_protocol):
    yield example.movie_id, example


def _movie_rows(keyed_examples: tuple[int, Iterable[examples.Example]],
                users: Mapping[int, rules.User],
                movies: Mapping[int, rules.Movie]) -> Iterator[tuple[str, str]]:
  """(split, CSV line) of every example of one movie.

  Grouping the examples themselves by movie gives each one its
  movie_rating_count without a second join on (user, movie).
  """
  movie_id, movie_examples = keyed_examples
  movie_examples = list(movie_examples)
  counts = examples.earlier_counts(
      [example.timestamp for example in movie_examples])
  movie = movies[movie_id]
  for example, count in zip(movie_examples, counts):
    yield example.split, outputs.csv_line(
        example, users[example.user_id], movie, count)


def _report_json(_: None, split_protocol: str, history_length: int,
                 lines_read: Mapping[str, int], rule_counts: Mapping[str, int],
                 split_rows: Mapping[str, int]) -> str:
  return json.dumps(
      report.build_report(split_protocol, history_length, lines_read,
                          rule_counts, split_rows),
      indent=2)


def ingest(pipeline: beam.Pipeline, paths: Mapping[str, str],
           split_protocol: str, history_length: int, output_dir: str) -> None:
  """Adds the whole ingestion to `pipeline`, writing under `output_dir`."""
  users = pipeline | 'ParseUsers' >> _ParseFile(
      paths[rules.USERS_FILE], rules.parse_user)
  unique_users = users[RECORDS] | 'UniqueUsers' >> _KeepFirstLine(
      _user_id, rules.USERS_FILE, rules.DUPLICATE_USER)
  users_by_id = beam.pvalue.AsDict(unique_users[RECORDS])

  movies = pipeline | 'ParseMovies' >> _ParseFile(
      paths[rules.MOVIES_FILE], rules.parse_movie)
  unique_movies = movies[RECORDS] | 'UniqueMovies' >> _KeepFirstLine(
      _movie_id, rules.MOVIES_FILE, rules.DUPLICATE_MOVIE)
  movies_by_id = beam.pvalue.AsDict(unique_movies[RECORDS])

  ratings = pipeline | 'ParseRatings' >> _ParseFile(
      paths[rules.RATINGS_FILE], rules.parse_rating, user_ids=users_by_id,
      movie_ids=movies_by_id)
  user_examples = (
      ratings[RECORDS]
      | 'KeyByUser' >> beam.WithKeys(_user_id)
      | 'GroupByUser' >> beam.GroupByKey()
      | 'BuildExamples' >> beam.FlatMap(
          _user_examples, history_length, split_protocol).with_outputs(
              REJECTS, main=RECORDS))
  rows = (
      user_examples[RECORDS]
      | 'GroupByMovie' >> beam.GroupByKey()
      | 'JoinFeatures' >> beam.FlatMap(
          _movie_rows, users=users_by_id, movies=movies_by_id))

  rows_by_split = rows | 'PartitionBySplit' >> beam.Partition(
      lambda row, _: outputs.SPLITS.index(row[0]), len(outputs.SPLITS))
  for split, split_rows in zip(outputs.SPLITS, rows_by_split):
    _ = (
        split_rows
        | f'Lines[{split}]' >> beam.Values()
        | f'Write[{split}]' >> beam.io.WriteToText(
            FileSystems.join(output_dir, split, 'data'),
            file_name_suffix='.csv', header=outputs.CSV_HEADER))

  rejects = (
      users[REJECTS], unique_users[REJECTS], movies[REJECTS],
      unique_movies[REJECTS], ratings[REJECTS], user_examples[REJECTS],
  ) | 'AllRejects' >> beam.Flatten()
  _ = (
      rejects
      | 'RejectLines' >> beam.Map(outputs.reject_line)
      | 'WriteRejects' >> beam.io.WriteToText(
          FileSystems.join(output_dir, outputs.REJECTS_DIR,
                           outputs.REJECTS_PREFIX),
          file_name_suffix='.tsv', header=outputs.REJECTS_HEADER))

  lines_read = (
      users[LINES_READ], movies[LINES_READ], ratings[LINES_READ],
  ) | 'AllLinesRead' >> beam.Flatten()
  rule_counts = (
      rejects
      | 'Rules' >> beam.Map(operator.attrgetter('rule'))
      | 'CountRules' >> beam.combiners.Count.PerElement())
  split_counts = rows | 'CountRows' >> beam.combiners.Count.PerKey()
  _ = (
      pipeline
      | 'ReportSeed' >> beam.Create([None])
      | 'BuildReport' >> beam.Map(
          _report_json, split_protocol, history_length,
          lines_read=beam.pvalue.AsDict(lines_read),
          rule_counts=beam.pvalue.AsDict(rule_counts),
          split_rows=beam.pvalue.AsDict(split_counts))
      | 'WriteReport' >> beam.io.WriteToText(
          FileSystems.join(output_dir, outputs.REPORT_FILE),
          shard_name_template='', num_shards=1))
