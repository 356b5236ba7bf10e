"""The pipeline's TFMA metrics computed under given Beam args, for comparison.

A metric whose combiner merges partial results wrongly is right when one
process sees every example and wrong when several do: TFMA 0.47's
MeanSquaredError and MeanAbsoluteError count the first partial result twice
when merging. Computing the same metrics on the same labelled predictions
under two runner modes and comparing them catches that, without training a
model: the evaluation reads labels and predictions from columns of the
examples.
"""

import math
from typing import Mapping, Sequence

from apache_beam.options import pipeline_options
import tensorflow_model_analysis as tfma
from tensorflow_metadata.proto.v0 import schema_pb2

from pipeline import evaluation_metrics

# (slice, output, sub key, metric name): one number of an evaluation.
MetricId = tuple[str, str, str, str]
# How evaluation_metrics names the class reproducing a TFMA or Keras one.
BUFFERED = 'Buffered'


def model_agnostic_config(eval_config: tfma.EvalConfig,
                          prediction_keys: Mapping[str, str]
                          ) -> tfma.EvalConfig:
  """`eval_config`'s metrics and slices over columns instead of a model.

  Keeps the model spec's label keys and reads each head's prediction from
  `prediction_keys[head]`. Thresholds are dropped: without a baseline model
  the change thresholds cannot be checked, and they are not metrics.
  """
  (model_spec,) = eval_config.model_specs
  agnostic = tfma.EvalConfig()
  agnostic.CopyFrom(eval_config)
  del agnostic.model_specs[:]
  agnostic.model_specs.append(tfma.ModelSpec(
      label_keys=dict(model_spec.label_keys),
      prediction_keys=dict(prediction_keys)))
  for metrics_spec in agnostic.metrics_specs:
    for metric in metrics_spec.metrics:
      metric.ClearField('threshold')
      metric.ClearField('per_slice_thresholds')
      metric.ClearField('cross_slice_thresholds')
  return agnostic


def with_tfma_metrics(eval_config: tfma.EvalConfig) -> tfma.EvalConfig:
  """`eval_config` with TFMA's and Keras's own metric classes.

  evaluation_metrics' `BufferedX` reproduces TFMA's (or else Keras's) `X`
  from arrays; computing both on the same examples shows they agree. Run it
  in one process: TFMA's own MeanAbsoluteError merges partial results wrongly.
  """
  reference = tfma.EvalConfig()
  reference.CopyFrom(eval_config)
  for metrics_spec in reference.metrics_specs:
    for metric in metrics_spec.metrics:
      if metric.module == evaluation_metrics.__name__:
        metric.class_name = metric.class_name.removeprefix(BUFFERED)
        metric.ClearField('module')
  return reference


def _numbers(value: Mapping, prefix: str = '') -> dict[str, float]:
  """Every number in a metric value, keyed by its path in the value.

  A metric value is a plain number ('doubleValue') or a nested record such
  as a bounded value or a confusion matrix; all its numbers are compared.
  """
  numbers = {}
  for key, item in value.items():
    path = f'{prefix}.{key}' if prefix else key
    if isinstance(item, Mapping):
      numbers.update(_numbers(item, path))
    elif isinstance(item, (list, tuple)):
      for index, element in enumerate(item):
        if isinstance(element, Mapping):
          numbers.update(_numbers(element, f'{path}[{index}]'))
        else:
          numbers[f'{path}[{index}]'] = float(element)
    elif isinstance(item, (int, float)):
      numbers[path] = float(item)
  return numbers


def evaluate(eval_config: tfma.EvalConfig, data_location: str,
             schema: schema_pb2.Schema, beam_args: Sequence[str],
             output_dir: str) -> dict[MetricId, dict[str, float]]:
  """Runs TFMA on the TFRecord files at `data_location` under `beam_args`.

  Returns every metric and plot of every slice, each as the numbers of its
  value: a plot such as CalibrationPlot is merged from partial results too.
  """
  result = tfma.run_model_analysis(
      eval_config=eval_config, data_location=data_location,
      file_format='tfrecords', output_path=output_dir, schema=schema,
      pipeline_options=pipeline_options.PipelineOptions(list(beam_args)))
  metrics = {}
  for slice_key, by_output in result.slicing_metrics + result.plots:
    slice_name = tfma.slicer.stringify_slice_key(slice_key)
    for output, by_sub_key in by_output.items():
      for sub_key, by_name in by_sub_key.items():
        for name, value in by_name.items():
          metrics[(slice_name, output, sub_key, name)] = _numbers(value)
  return metrics


def differences(expected: Mapping[MetricId, Mapping[str, float]],
                actual: Mapping[MetricId, Mapping[str, float]],
                rel_tol: float = 1e-5, abs_tol: float = 1e-9) -> list[str]:
  """One line per metric that is missing from one side or differs.

  The tolerance only absorbs rounding: Keras metrics sum in float32, and
  summing partial results in another order changes their last bits.
  """
  lines = []
  for metric_id in sorted(set(expected) | set(actual)):
    if metric_id not in actual or metric_id not in expected:
      side = 'second' if metric_id not in actual else 'first'
      lines.append(f'{metric_id}: missing from the {side} evaluation')
      continue
    if expected[metric_id].keys() != actual[metric_id].keys():
      lines.append(f'{metric_id}: fields {sorted(expected[metric_id])} != '
                   f'{sorted(actual[metric_id])}')
      continue
    for field, value in expected[metric_id].items():
      other = actual[metric_id][field]
      same = (math.isnan(value) and math.isnan(other)) or math.isclose(
          value, other, rel_tol=rel_tol, abs_tol=abs_tol)
      if not same:
        lines.append(f'{metric_id} {field}: {value!r} != {other!r}')
  return lines
