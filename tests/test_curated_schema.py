"""CuratedSchema: imports the schema file and keys its cache on the content."""

import os

import pytest
import tensorflow_data_validation as tfdv

from components import curated_schema
from contract import paths


def test_the_fingerprint_follows_the_content(tmp_path):
  path = tmp_path / 'schema.pbtxt'
  path.write_text('feature { name: "a" type: INT }\n')
  first = curated_schema.content_fingerprint(str(path))
  assert curated_schema.content_fingerprint(str(path)) == first
  path.write_text('feature { name: "b" type: INT }\n')
  assert curated_schema.content_fingerprint(str(path)) != first


def test_the_import_writes_the_parsed_schema(tmp_path):
  curated_schema.import_schema(paths.SCHEMA_PATH, str(tmp_path))
  written = tfdv.load_schema_text(
      os.path.join(tmp_path, curated_schema.SCHEMA_FILE))
  assert written == tfdv.load_schema_text(paths.SCHEMA_PATH)


def test_a_broken_schema_file_fails_the_import(tmp_path):
  broken = tmp_path / 'broken.pbtxt'
  broken.write_text('feature { name: ')
  with pytest.raises(curated_schema.SchemaFileError,
                     match=f'^{broken}: 1:17'):
    curated_schema.import_schema(str(broken), str(tmp_path))
