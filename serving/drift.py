"""Checks serving requests against the curated schema, as training data is.

ExampleValidator stops a run on data that breaks the schema, but a served model
keeps scoring whatever it is sent: a new genre or an occupation code from a new
sign-up form maps to an out-of-vocabulary embedding without any error. Running a
sample of requests through TFDV in the schema's SERVING environment (no label)
reports such drift with the same messages as the pipeline's gate.
"""

from typing import Iterable

import tensorflow_data_validation as tfdv
from tensorflow_data_validation.statistics import stats_impl
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx_bsl.coders import example_coder

from components import anomalies_gate
from components.ingestion import outputs
from contract import formats
from models import signatures
from serving import scoring

SPLIT_NAME = 'serving'


def validate_examples(serialized: list[bytes],
                      data_format: formats.DataFormat
                      ) -> anomalies_pb2.Anomalies:
  """TFDV's anomalies of serialized raw tf.Examples in the SERVING environment.

  Decodes without the schema, as StatisticsGen does, so a feature of the
  wrong type is reported rather than failing the decoding.
  """
  if not serialized:
    raise ValueError('no serving examples to validate')
  record_batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(
      serialized)
  statistics = stats_impl.generate_statistics_in_memory(record_batch)
  return tfdv.validate_statistics(statistics, scoring.load_schema(data_format),
                                  environment=signatures.SERVING_ENVIRONMENT)


def validate_rows(rows: Iterable[dict[str, outputs.Value]],
                  data_format: formats.DataFormat
                  ) -> anomalies_pb2.Anomalies:
  """Anomalies of ingested rows (scoring.read_rows) sent as serving requests.

  Keeps only the features a client sends (the SERVING environment's), so the
  label and the evaluation-only slice features of an ingested row are not
  reported as unexpected.
  """
  schema = scoring.load_schema(data_format)
  served = set(signatures.request_features(schema))
  return validate_examples(scoring.serialize_rows(
      [{name: value for name, value in row.items() if name in served}
       for row in rows], schema), data_format)


def describe(anomalies: anomalies_pb2.Anomalies) -> list[str]:
  """One line per anomalous feature, worded as the pipeline's gate words it."""
  return anomalies_gate.describe_anomalies(SPLIT_NAME, anomalies)
