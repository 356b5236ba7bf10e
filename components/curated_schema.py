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
from tfx import v1 as tfx

from contract import errors

SCHEMA_FILE = 'schema.pbtxt'


def content_fingerprint(path: str) -> str:
  """SHA-256 of a file's bytes."""
  with tf.io.gfile.GFile(path, 'rb') as f:
    return hashlib.sha256(f.read()).hexdigest()


class SchemaFileError(errors.YtdnnError, ValueError):
  """The curated schema file does not parse: nothing downstream can run."""


def import_schema(schema_file: str, output_dir: str) -> None:
  """Parses the schema file (a bad one fails here) and writes it to output_dir."""
  try:
    schema = tfdv.load_schema_text(schema_file)
  except text_format.ParseError as error:
    raise SchemaFileError(f'{schema_file}: {error}') from error
  tfdv.write_schema_text(schema, os.path.join(output_dir, SCHEMA_FILE))


@tfx.dsl.components.component
def CuratedSchema(  # pylint: disable=invalid-name
    schema: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.Schema],
    schema_file: tfx.dsl.components.Parameter[str],
    fingerprint: tfx.dsl.components.Parameter[str],
) -> None:
  """Imports the schema file as the pipeline's Schema artifact.

  `fingerprint` is content_fingerprint(schema_file), as the runner saw it: it
  is read by nobody and exists so that an edited schema changes the cache key.
  """
  del fingerprint
  import_schema(schema_file, schema.uri)
