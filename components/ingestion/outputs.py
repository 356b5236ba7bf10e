"""Layout and formats of the ingestion's two outputs.

`examples` is a standard TFX Examples artifact, laid out as ExampleGen lays
it out: <uri>/Split-train/ and <uri>/Split-eval/, each holding NUM_SHARDS
gzipped TFRecord files of tf.Examples whose features are typed by the curated
schema. `report` holds <uri>/rejects/rejects-*.tsv (the rejected lines) and
<uri>/report.json (the counts).
"""

import hashlib
import itertools
from typing import Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx_bsl.coders import example_coder

from components.ingestion import examples
from components.ingestion import rules
from contract import features
from contract import paths
from contract import splits

REJECTS_DIR = 'rejects'
REJECTS_PREFIX = 'rejects'
REPORT_FILE = 'report.json'
SPLITS = (splits.TRAIN_SPLIT, splits.EVAL_SPLIT)
REJECTS_HEADER = '\t'.join(rules.Reject._fields)

# Files per split. Each holds the examples of a pseudo-random part of the users
# in a pseudo-random order, so a reader sees users and movies mixed without a
# large shuffle buffer.
NUM_SHARDS = 8
# Prefix and suffix of ExampleGen's own output files.
FILE_PREFIX = 'data_tfrecord'
FILE_SUFFIX = '.gz'

# A feature value as the ingestion and serving clients hold it: numbers for
# the list features (features.LIST_FEATURES), a number for the schema's other
# INT and FLOAT features, text otherwise; '' (or a missing key) is no value.
Value = int | float | str | Sequence[int | float]
_ARROW_TYPES = {
    schema_pb2.INT: pa.int64(),
    schema_pb2.FLOAT: pa.float32(),
    schema_pb2.BYTES: pa.large_binary(),
}
_NUMPY_TYPES = {schema_pb2.INT: np.int64, schema_pb2.FLOAT: np.float32}
# Examples serialized per call of the encoder while writing a shard: large
# enough to amortize Arrow's per-call cost, small enough to stay a few MB.
ENCODE_BATCH = 10_000
# zlib level of the TFRecord files: level 1 wrote ml-1m's examples 4x faster
# than the default level 6 (26 against 108 us per example) for files 24% larger.
GZIP_LEVEL = 1


def shard_path(examples_uri: str, split: str, shard: int) -> str:
  """One shard's file, named as ExampleGen names its files."""
  return (f'{paths.split_dir(examples_uri, split)}/{FILE_PREFIX}-{shard:05d}-of-'
          f'{NUM_SHARDS:05d}{FILE_SUFFIX}')


def _hash(text: str) -> int:
  """Seven bytes of the MD5 of `text`: fixed across runs, runners and machines.

  A hash rather than a random draw, so every run and every runner writes the
  same files; the callers salt `text` so their hashes are independent of each
  other and of random90's split hash.
  """
  return int.from_bytes(hashlib.md5(text.encode()).digest()[:7], 'little')


def shuffle_key(user_id: int, movie_id: int) -> int:
  """A fixed pseudo-random number of a rating: its place in its shard."""
  return _hash(f'shuffle:{user_id}:{movie_id}')


def user_shard(user_id: int) -> int:
  """The shard that holds every example of a user, in every split.

  By user, so a shard's examples are built from the users' ratings where they
  are written, and no example crosses a Beam shuffle: on ml-1m, encoding and
  decoding the million examples between steps took about half of the
  ingestion's profiled time.
  """
  return _hash(f'shard:{user_id}') % NUM_SHARDS


def feature_types(schema: schema_pb2.Schema) -> dict[str, int]:
  """Each feature's type in the schema: the one place examples get types from."""
  return {feature.name: feature.type for feature in schema.feature}


def genre_cells(genres: str) -> dict[str, str]:
  """A movie's '|'-joined genres over the genre columns, empty past the last.

  The rules guarantee at most MAX_GENRES non-empty names.
  """
  names = genres.split(features.GENRE_SEPARATOR)
  return {column: names[position] if position < len(names) else ''
          for position, column in enumerate(features.GENRE_COLUMNS)}


def movie_values(movie: rules.Movie, context: examples.MovieContext
                 ) -> dict[str, Value]:
  """The features of an example that depend on its movie alone (MOVIE_FEATURES).

  A serving client can encode them once per movie and join them to each
  request's user side (serving/recommend.py).
  """
  return {
      features.MOVIE_ID: movie.movie_id,
      **genre_cells(movie.genres),
      features.MOVIE_YEAR: movie.year,
      features.MOVIE_RATING_COUNT: context.rating_count,
      features.MOVIE_RATERS: context.raters,
      features.MOVIE_POPULARITY_BUCKET: examples.bucket_label(
          context.rating_count, features.MOVIE_POPULARITY_BOUNDARIES),
  }


def demographic_values(user: rules.User | None) -> dict[str, Value]:
  """The user's demographics; none for a format without a users file."""
  if user is None:
    return {}
  return {
      features.GENDER: user.gender,
      features.AGE: user.age,
      features.OCCUPATION: user.occupation,
      features.ZIP: user.zip,
  }


def user_values(example: examples.Example,
                user: rules.User | None) -> dict[str, Value]:
  """Every feature of an example but its movie's: the rating and its user's."""
  return {
      features.USER_ID: example.user_id,
      features.RATING: example.rating,
      features.TIMESTAMP: example.timestamp,
      **demographic_values(user),
      features.HISTORY: example.history,
      features.HISTORY_RATINGS: example.history_ratings,
      features.USER_RATING_COUNT: example.user_rating_count,
      features.SECONDS_SINCE_PREVIOUS: example.seconds_since_previous,
      features.USER_ACTIVITY_BUCKET: examples.bucket_label(
          example.user_rating_count, features.USER_ACTIVITY_BOUNDARIES),
  }


def example_values(example: examples.Example, user: rules.User | None,
                   movie: rules.Movie, context: examples.MovieContext
                   ) -> dict[str, Value]:
  """Every feature of one example; serving clients build requests from it too."""
  return {**user_values(example, user), **movie_values(movie, context)}


def _list_column(lists: list[Sequence[int | float] | None],
                 feature_type: int) -> pa.Array:
  """A list feature as a list array of its type, null where a list is empty.

  An empty list is no value, as a missing one is: TFDV reads a batch whose
  lists are all empty, present, as holding the value 0, which is outside
  the ids' domain, so the examples leave the feature out instead.
  """
  lengths = np.fromiter((len(values or ()) for values in lists), np.int64,
                        count=len(lists))
  offsets = np.concatenate([[0], np.cumsum(lengths)])
  flat = np.fromiter(itertools.chain.from_iterable(
      values for values in lists if values), _NUMPY_TYPES[feature_type],
      count=offsets[-1])
  return pa.LargeListArray.from_arrays(
      pa.array(offsets), pa.array(flat), mask=pa.array(lengths == 0))


def _column(values: list[Value | None], feature_type: int) -> pa.Array:
  """A single-valued feature as a list array, null where a row has no value.

  Every value goes through its text, which Arrow's C++ cast parses: one path
  for ints, floats and text alike, and for clients' rows of strings too.
  """
  text = pa.array([None if value is None or value == '' else str(value)
                   for value in values], type=pa.large_string())
  offsets = pa.array(np.arange(len(values) + 1, dtype=np.int64))
  return pa.LargeListArray.from_arrays(
      offsets, text.cast(_ARROW_TYPES[feature_type]), mask=text.is_null())


def serialize_examples(rows: Sequence[Mapping[str, Value]],
                       types: Mapping[str, int]) -> list[bytes]:
  """Serialized tf.Examples of rows, each feature typed as `types` says.

  An empty or missing value becomes a feature without values, as ExampleGen
  writes an empty CSV cell. Encodes a whole batch column by column in Arrow
  and tfx_bsl's C++ encoder: building tf.train.Example protos in Python took
  430 us per example here, this 65 (both on a machine loaded 4 to 8 deep).
  """
  names = sorted({name for row in rows for name in row})
  unknown = [name for name in names if name not in types]
  if unknown:
    raise ValueError(f'features not in the schema: {unknown}')
  columns = {
      name: _list_column([row.get(name) for row in rows], types[name])
      if name in features.LIST_FEATURES
      else _column([row.get(name) for row in rows], types[name])
      for name in names}
  return example_coder.RecordBatchToExamplesEncoder().encode(
      pa.RecordBatch.from_pydict(columns))


def deserialize_examples(serialized: Iterable[bytes]) -> list[dict[str, Value]]:
  """Rows of serialized tf.Examples: the inverse of serialize_examples.

  Converts column by column in Arrow; a row-by-row to_pylist of the list
  columns took 450 us per example here, which on ml-1m's train split is minutes.
  """
  batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(
      list(serialized))
  rows = [{} for _ in range(batch.num_rows)]
  for name, column in zip(batch.schema.names, batch.columns):
    if pa.types.is_null(column.type):  # No row has a value.
      continue
    if name in features.LIST_FEATURES:
      for row, values in zip(rows, column.to_pylist()):
        row[name] = values or []
      continue
    values = column.flatten()
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(
        values.type):
      values = values.cast(pa.large_string())
    counts = pc.list_value_length(column).fill_null(0).to_pylist()
    if max(counts, default=0) > 1:
      raise ValueError(f'feature {name} holds more than one value')
    present = (row for row, count in zip(rows, counts) if count)
    for row, value in zip(present, values.to_pylist()):
      row[name] = value
  return rows


def reject_line(reject: rules.Reject) -> str:
  """One TSV row; escapes keep a rejected line's tabs from adding columns."""
  text = (reject.text.replace('\\', '\\\\').replace('\t', '\\t')
          .replace('\r', '\\r'))
  return f'{reject.file}\t{reject.line}\t{reject.rule}\t{text}'
