"""CuratedSchema: the hand-written schema brought into the pipeline, keyed by content.

TFX's ImportSchemaGen keys its cache on the schema file's path alone, so after
a user edits contract/schema.pbtxt (a new genre, say) the next run
reuses the old schema and keeps failing. This component does the same import
with a fingerprint of the file's content among its parameters.
"""

import hashlib
import os

import tensorflow as tf
import tensorflow_data_validation as tfdv
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx import v1 as tfx

from contract import errors
from contract import features
from contract import formats

SCHEMA_FILE = 'schema.pbtxt'


def content_fingerprint(path: str) -> str:
  """SHA-256 of a file's bytes."""
  with tf.io.gfile.GFile(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


class SchemaFileError(errors.YtdnnError, ValueError):
  """The curated schema file does not parse: nothing downstream can run."""


def _half_star(feature: schema_pb2.Feature, lowest: float,
               highest: float) -> None:
  """Retypes an INT rating feature as FLOAT over [lowest, highest]."""
  feature.type = schema_pb2.FLOAT
  feature.ClearField('int_domain')
  feature.float_domain.min = lowest
  feature.float_domain.max = highest


def schema_for_format(schema: schema_pb2.Schema,
                      data_format: formats.DataFormat) -> schema_pb2.Schema:
  """The schema file, written for ml-1m, as the examples of `data_format` are.

  Without a users file the demographic features are absent, so the schema
  has none to require, and the Transform and the models leave them out. On
  a half-star scale the ratings are floats: `rating` spans the scale, and
  `history_ratings` the scale and features.UNKNOWN_RATING.
  """
  adapted = schema_pb2.Schema()
  adapted.CopyFrom(schema)
  if not data_format.has_demographics:
    kept = [feature for feature in adapted.feature
            if feature.name not in features.DEMOGRAPHIC_FEATURES]
    del adapted.feature[:]
    adapted.feature.extend(kept)
  scale = data_format.rating_scale
  if not scale.whole_stars:
    by_name = {feature.name: feature for feature in adapted.feature}
    _half_star(by_name[features.RATING], scale.lowest, scale.highest)
    _half_star(by_name[features.HISTORY_RATINGS], features.UNKNOWN_RATING,
               scale.highest)
  return adapted


def import_schema(schema_file: str, data_format: formats.DataFormat,
                  output_dir: str) -> None:
  """Parses the schema file (a bad one fails here), adapts it to the format
  and writes it to output_dir."""
  try:
    schema = tfdv.load_schema_text(schema_file)
  except text_format.ParseError as error:
    raise SchemaFileError(f'{schema_file}: {error}') from error
  tfdv.write_schema_text(schema_for_format(schema, data_format),
                         os.path.join(output_dir, SCHEMA_FILE))


@tfx.dsl.components.component
def CuratedSchema(  # pylint: disable=invalid-name
    schema: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.Schema],
    schema_file: tfx.dsl.components.Parameter[str],
    data_format: tfx.dsl.components.Parameter[str],
    fingerprint: tfx.dsl.components.Parameter[str],
) -> None:
  """Imports the schema file, adapted to `data_format`, as the Schema artifact.

  `fingerprint` is content_fingerprint(schema_file), as the runner saw it: it
  is read by nobody and exists so that an edited schema changes the cache key.
  """
  del fingerprint
  import_schema(schema_file, formats.by_name(data_format), schema.uri)
