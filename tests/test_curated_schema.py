"""CuratedSchema: imports the schema file and keys its cache on the content."""

import os

import pytest
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import schema_pb2

from components import curated_schema
from contract import features
from contract import formats
from contract import paths


def test_the_fingerprint_follows_the_content(tmp_path):
  path = tmp_path / 'schema.pbtxt'
  path.write_text('feature { name: "a" type: INT }\n')
  first = curated_schema.content_fingerprint(str(path))
  assert curated_schema.content_fingerprint(str(path)) == first
  path.write_text('feature { name: "b" type: INT }\n')
  assert curated_schema.content_fingerprint(str(path)) != first


def test_the_import_writes_the_parsed_schema(tmp_path):
  curated_schema.import_schema(paths.SCHEMA_PATH, formats.ML_1M,
                               str(tmp_path))
  written = tfdv.load_schema_text(
      os.path.join(tmp_path, curated_schema.SCHEMA_FILE))
  assert written == tfdv.load_schema_text(paths.SCHEMA_PATH)


def test_a_broken_schema_file_fails_the_import(tmp_path):
  broken = tmp_path / 'broken.pbtxt'
  broken.write_text('feature { name: ')
  with pytest.raises(curated_schema.SchemaFileError,
                     match=f'^{broken}: 1:17'):
    curated_schema.import_schema(str(broken), formats.ML_1M, str(tmp_path))


@pytest.mark.parametrize('data_format', [formats.ML_10M, formats.CSV],
                         ids=lambda data_format: data_format.name)
def test_a_later_format_has_no_demographics_and_float_ratings(data_format):
  file_schema = tfdv.load_schema_text(paths.SCHEMA_PATH)
  adapted = curated_schema.schema_for_format(file_schema, data_format)
  by_name = {feature.name: feature for feature in adapted.feature}
  assert not set(by_name) & set(features.DEMOGRAPHIC_FEATURES)
  assert set(by_name) | set(features.DEMOGRAPHIC_FEATURES) == {
      feature.name for feature in file_schema.feature}
  rating = by_name[features.RATING]
  assert rating.type == schema_pb2.FLOAT
  assert (rating.float_domain.min, rating.float_domain.max) == (0.5, 5.0)
  history_ratings = by_name[features.HISTORY_RATINGS]
  assert history_ratings.type == schema_pb2.FLOAT
  assert (history_ratings.float_domain.min,
          history_ratings.float_domain.max) == (features.UNKNOWN_RATING, 5.0)
  assert list(rating.not_in_environment) == ['SERVING'], 'still the label'
