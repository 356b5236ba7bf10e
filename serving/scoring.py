"""Scoring ingested examples through a pushed model's `serving_default`.

Builds the same raw tf.Examples a serving client would send (typed by the
curated schema, label left out), so tests and benchmarks exercise the real
serving path rather than the Keras model.
"""

import os
from typing import Callable, Mapping

import numpy as np
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import schema_pb2

from components import curated_schema
from components import serving_baseline
from components.ingestion import outputs
from components.ingestion import report
from contract import errors
from contract import features
from contract import formats
from contract import paths
from contract import request_lengths
from models import signatures


# Records decoded at a time when reading a split: one batch per decoder call.
READ_BATCH = 10_000


def read_rows(split_dir: str) -> list[dict[str, outputs.Value]]:
  """Every example of an ingested split directory, as feature -> value rows."""
  files = sorted(tf.io.gfile.glob(os.path.join(split_dir, '*')))
  records = tf.data.TFRecordDataset(files, compression_type='GZIP')
  rows = []
  for batch in records.batch(READ_BATCH).as_numpy_iterator():
    rows.extend(outputs.deserialize_examples(batch))
  return rows


def serialize_rows(rows: list[dict[str, outputs.Value]],
                   schema: schema_pb2.Schema) -> list[bytes]:
  """Raw serving tf.Examples: every feature but the label, typed by the schema."""
  return outputs.serialize_examples(
      [{name: value for name, value in row.items()
        if name != features.RAW_LABEL} for row in rows],
      outputs.feature_types(schema))


def load_schema(data_format: formats.DataFormat) -> schema_pb2.Schema:
  """The curated schema as the pipeline curates it for `data_format`."""
  return curated_schema.schema_for_format(
      tfdv.load_schema_text(paths.SCHEMA_PATH), data_format)


def ingested_format(pipeline_root: str) -> formats.DataFormat:
  """The format of the files a pipeline root's newest ingestion read."""
  return formats.by_name(report.read_report(paths.latest_output(
      pipeline_root, paths.INGESTION, 'report'))['data_format'])


class NoPushedModelError(errors.YtdnnError, FileNotFoundError):
  """Nothing was pushed yet: no run blessed a model of this kind."""


def latest_pushed_model(serving_model_dir: str) -> str:
  """The highest version directory under a TF Serving model base directory."""
  version = serving_baseline.latest_pushed_version(serving_model_dir)
  if version is None:
    raise NoPushedModelError(
        f'no pushed model version in {serving_model_dir}: run `ytdnn run` '
        'until its models are blessed and pushed')
  return version


class NoRequestLengthsError(errors.YtdnnError, FileNotFoundError):
  """The pushed model has no request lengths: an older ytdnn pushed it."""


def load_request_lengths(model_dir: str) -> request_lengths.RequestLengths:
  """The history and raters lengths the pushed model's requests must carry."""
  path = os.path.join(model_dir, request_lengths.FILE)
  if not tf.io.gfile.exists(path):
    raise NoRequestLengthsError(
        f'{path} is missing: an older ytdnn pushed this model, which does '
        'not say what lengths its requests must carry; run `ytdnn run` again')
  with tf.io.gfile.GFile(path) as file:
    return request_lengths.RequestLengths.from_json(file.read())


def load_signatures(model_dir: str
                    ) -> Mapping[str, Callable[..., dict[str, tf.Tensor]]]:
  """The pushed SavedModel's signatures, by name."""
  return tf.saved_model.load(model_dir).signatures


def load_serving_fn(model_dir: str) -> Callable[..., dict[str, tf.Tensor]]:
  """The pushed SavedModel's `serving_default` signature."""
  return load_signatures(model_dir)[signatures.SERVING_DEFAULT]


def score(serve: Callable[..., dict[str, tf.Tensor]], serialized: list[bytes],
          batch_size: int = 4096) -> dict[str, np.ndarray]:
  """The serving signature's outputs for serialized examples, in batches."""
  batches = [serve(examples=tf.constant(serialized[i:i + batch_size]))
             for i in range(0, len(serialized), batch_size)]
  return {name: np.concatenate([batch[name].numpy() for batch in batches])
          for name in batches[0]}
