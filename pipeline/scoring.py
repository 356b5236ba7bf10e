"""Scoring ingested CSV rows through a pushed model's `serving_default`.

Builds the same raw tf.Examples a serving client would send (typed by the
curated schema, label left out), so tests and benchmarks exercise the real
serving path rather than the Keras model.
"""

import csv
import os
from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import schema_pb2

from models import signatures
from pipeline import configs
from pipeline import features


def read_csv_rows(csv_dir: str) -> list[dict[str, str]]:
  """Every row of the CSV shards in a directory (e.g. an ingested eval/)."""
  rows = []
  for path in sorted(tf.io.gfile.glob(os.path.join(csv_dir, '*'))):
    with tf.io.gfile.GFile(path) as f:
      rows.extend(csv.DictReader(f))
  return rows


def _feature(value: str, feature_type: int) -> tf.train.Feature:
  if feature_type == schema_pb2.INT:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))
  return tf.train.Feature(
      bytes_list=tf.train.BytesList(value=[value.encode('utf-8')]))


def serialize_row(row: dict[str, str], schema: schema_pb2.Schema) -> bytes:
  """A raw serving tf.Example: every feature but the label; empty cells omitted."""
  types = {f.name: f.type for f in schema.feature}
  example = tf.train.Example()
  for name, value in row.items():
    if name == features.RAW_LABEL or value == '':
      continue
    example.features.feature[name].CopyFrom(_feature(value, types[name]))
  return example.SerializeToString()


def load_schema() -> schema_pb2.Schema:
  return tfdv.load_schema_text(configs.SCHEMA_PATH)


class NoPushedModelError(FileNotFoundError):
  """Nothing was pushed yet: no run blessed a model of this kind."""


def latest_pushed_model(serving_model_dir: str) -> str:
  """The highest version directory under a TF Serving model base directory."""
  versions = []
  if tf.io.gfile.isdir(serving_model_dir):
    versions = [v.rstrip('/') for v in tf.io.gfile.listdir(serving_model_dir)
                if v.rstrip('/').isdigit()]
  if not versions:
    raise NoPushedModelError(
        f'no pushed model version in {serving_model_dir}: run `ytdnn run` '
        'until its models are blessed and pushed')
  return os.path.join(serving_model_dir, max(versions, key=int))


def latest_ingested_split(output_dir: str, split: str) -> str:
  """The newest ingestion output's CSV directory of a split in a run."""
  runs = tf.io.gfile.glob(os.path.join(
      configs.pipeline_root(output_dir), 'MovieLensIngestion', 'ingested', '*',
      split))
  if not runs:
    raise FileNotFoundError(f'no ingested {split} split under {output_dir}')
  return max(runs, key=lambda path: int(path.split(os.sep)[-2]))


def load_serving_fn(model_dir: str) -> Callable[..., dict[str, tf.Tensor]]:
  """The pushed SavedModel's `serving_default` signature."""
  return tf.saved_model.load(model_dir).signatures[signatures.SERVING_DEFAULT]


def score(serve: Callable[..., dict[str, tf.Tensor]], serialized: list[bytes],
          batch_size: int = 4096) -> dict[str, np.ndarray]:
  """The serving signature's outputs for serialized examples, in batches."""
  batches = [serve(examples=tf.constant(serialized[i:i + batch_size]))
             for i in range(0, len(serialized), batch_size)]
  return {name: np.concatenate([batch[name].numpy() for batch in batches])
          for name in batches[0]}
