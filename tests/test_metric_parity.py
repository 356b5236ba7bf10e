"""The pipeline's TFMA metrics: the same in every DirectRunner mode, and the
same as TFMA's and Keras's own metrics.

The runs share one module fixture: each TFMA run costs 20-40 s, mostly the
start of Beam and of the multi-processing workers, not the examples.
"""

import math
import os
from typing import NamedTuple

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_model_analysis as tfma
from tensorflow_metadata.proto.v0 import schema_pb2

from contract import features
from contract import formats
import metric_parity
from models import tasks
from pipeline import configs
from pipeline import evaluation
from pipeline import evaluation_metrics

IN_MEMORY_ARGS = ['--direct_running_mode=in_memory', '--direct_num_workers=1']
MULTI_PROCESSING_ARGS = ['--direct_running_mode=multi_processing',
                         '--direct_num_workers=2']
EXAMPLES = 3000
# Several files, so the two workers each read and combine a part.
SHARDS = 4
# Every slice feature is a small integer: slicing only needs equal values.
SLICE_VALUES = 4
PREDICTION_KEYS = {task.head: f'{task.head}_prediction'
                   for task in tasks.RANKING_TASKS}
# Not in the pipeline's config: TFMA 0.47's own metric with the known bug.
TFMA_MSE = 'MeanSquaredError'
MSE_NAME = 'mean_squared_error'


class Data(NamedTuple):
  pattern: str
  schema: schema_pb2.Schema
  ratings: np.ndarray
  predicted_ratings: np.ndarray


def _feature(values: np.ndarray) -> tf.train.Feature:
  if values.dtype.kind == 'f':
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))
  return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _write_examples(directory: str) -> Data:
  """Labels as the Transform derives them, beside noisy predictions."""
  rng = np.random.default_rng(0)
  ratings = rng.integers(1, formats.ML_1M.rating_scale.num_values + 1, EXAMPLES)
  predicted = np.clip(ratings + rng.normal(0, 0.9, EXAMPLES), 1, 5)
  logits = rng.normal(0, 1, (EXAMPLES, formats.ML_1M.rating_scale.num_values))
  logits[np.arange(EXAMPLES), ratings - 1] += 1
  stars = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
  liked = (ratings >= features.LIKED_MIN_RATING).astype(np.int64)
  liked_probability = 1 / (1 + np.exp(-(2 * liked - 1 + rng.normal(
      0, 1.5, EXAMPLES))))
  columns = {
      features.RATING_LABEL: ratings[:, None].astype(np.float32),
      features.STARS_LABEL: ratings[:, None] - 1,
      features.LIKED_LABEL: liked[:, None],
      PREDICTION_KEYS[features.RATING_HEAD]: predicted[:, None],
      PREDICTION_KEYS[features.STARS_HEAD]: stars,
      PREDICTION_KEYS[features.LIKED_HEAD]: liked_probability[:, None],
      **{name: rng.integers(0, SLICE_VALUES, (EXAMPLES, 1))
         for name in features.SLICE_FEATURES},
  }
  schema = schema_pb2.Schema()
  for name, values in columns.items():
    feature = schema.feature.add(
        name=name, type=(schema_pb2.FLOAT if values.dtype.kind == 'f'
                         else schema_pb2.INT))
    feature.presence.min_fraction = 1
    feature.shape.dim.add(size=values.shape[1])
  writers = [tf.io.TFRecordWriter(os.path.join(directory, f'part-{shard}'))
             for shard in range(SHARDS)]
  for index in range(EXAMPLES):
    example = tf.train.Example(features=tf.train.Features(feature={
        name: _feature(values[index]) for name, values in columns.items()}))
    writers[index % SHARDS].write(example.SerializeToString())
  for writer in writers:
    writer.close()
  return Data(os.path.join(directory, 'part-*'), schema, ratings, predicted)


def _eval_config() -> tfma.EvalConfig:
  """The pipeline's metrics and slices, plus TFMA's MeanSquaredError."""
  config = metric_parity.model_agnostic_config(
      evaluation.make_eval_config(configs.EvaluationConfig(),
                                  formats.ML_1M.rating_scale), PREDICTION_KEYS)
  (rating_spec,) = [spec for spec in config.metrics_specs
                    if list(spec.output_names) == [features.RATING_HEAD]]
  rating_spec.metrics.add(class_name=TFMA_MSE)
  return config


class Evaluations(NamedTuple):
  data: Data
  in_memory: dict
  multi_processing: dict
  # The same metrics by TFMA's and Keras's own classes, in memory.
  tfma_metrics: dict


@pytest.fixture(scope='module')
def evaluations(tmp_path_factory) -> Evaluations:
  root = tmp_path_factory.mktemp('parity')
  os.makedirs(root / 'data')
  data = _write_examples(str(root / 'data'))
  config = _eval_config()
  return Evaluations(
      data,
      metric_parity.evaluate(config, data.pattern, data.schema, IN_MEMORY_ARGS,
                             str(root / 'in_memory')),
      metric_parity.evaluate(config, data.pattern, data.schema,
                             MULTI_PROCESSING_ARGS,
                             str(root / 'multi_processing')),
      metric_parity.evaluate(metric_parity.with_tfma_metrics(config),
                             data.pattern, data.schema, IN_MEMORY_ARGS,
                             str(root / 'tfma_metrics')))


def _without_mse(metrics: dict) -> dict:
  return {metric_id: value for metric_id, value in metrics.items()
          if metric_id[3] != MSE_NAME}


def test_pipeline_metrics_agree_between_runner_modes(evaluations):
  in_memory = _without_mse(evaluations.in_memory)
  overall = {name for slice_name, _, _, name in in_memory
             if slice_name == 'Overall'}
  assert {'root_mean_squared_error', 'mean_absolute_error', 'example_count',
          'sparse_categorical_accuracy', 'auc', 'calibration',
          'binary_accuracy', 'calibrationHistogramBuckets'} <= overall
  assert {slice_name for slice_name, *_ in in_memory} == {'Overall'} | {
      f'{name}:{value}' for name in features.SLICE_FEATURES
      for value in range(SLICE_VALUES)}
  assert metric_parity.differences(
      in_memory, _without_mse(evaluations.multi_processing)) == []


def test_pipeline_metrics_are_tfma_and_keras_metrics(evaluations):
  """Computed from arrays, they are still the metrics TFMA and Keras compute.

  Bucket edges included: a calibration plot or AUC that rebinned differently
  would differ in some slice.
  """
  assert metric_parity.differences(evaluations.tfma_metrics,
                                   evaluations.in_memory) == []


def test_the_comparison_catches_tfma_mean_squared_error(evaluations):
  """TFMA 0.47's MSE is right in one process and wrong across workers."""
  data = evaluations.data
  overall_mse = evaluations.in_memory[('Overall', features.RATING_HEAD, '',
                                       MSE_NAME)]['doubleValue']
  assert overall_mse == pytest.approx(
      np.mean((data.predicted_ratings - data.ratings) ** 2), rel=1e-6)
  flagged = metric_parity.differences(evaluations.in_memory,
                                      evaluations.multi_processing)
  assert any(MSE_NAME in line for line in flagged)


def test_agnostic_config_reads_predictions_and_drops_thresholds():
  config = metric_parity.model_agnostic_config(
      evaluation.make_eval_config(configs.EvaluationConfig(),
                                  formats.ML_1M.rating_scale), PREDICTION_KEYS)
  (spec,) = config.model_specs
  assert dict(spec.prediction_keys) == PREDICTION_KEYS
  assert dict(spec.label_keys) == {task.head: task.label
                                   for task in tasks.RANKING_TASKS}
  assert not spec.signature_name
  metrics = [metric for metrics_spec in config.metrics_specs
             for metric in metrics_spec.metrics]
  assert evaluation_metrics.BufferedRootMeanSquaredError.__name__ in [
      metric.class_name for metric in metrics]
  assert not any(metric.per_slice_thresholds for metric in metrics)


def test_differences_name_missing_and_changed_metrics():
  first = {('Overall', 'rating', '', 'rmse'): {'doubleValue': 0.9},
           ('Overall', 'liked', '', 'auc'): {'doubleValue': math.nan},
           ('gender:F', 'rating', '', 'rmse'): {'doubleValue': 1.0}}
  second = {('Overall', 'rating', '', 'rmse'): {'doubleValue': 0.9 + 1e-12},
            ('Overall', 'liked', '', 'auc'): {'doubleValue': math.nan},
            ('gender:F', 'rating', '', 'rmse'): {'doubleValue': 1.01},
            ('gender:M', 'rating', '', 'rmse'): {'doubleValue': 1.0}}
  assert metric_parity.differences(first, second) == [
      "('gender:F', 'rating', '', 'rmse') doubleValue: 1.0 != 1.01",
      "('gender:M', 'rating', '', 'rmse'): missing from the first evaluation",
  ]
