"""The one reader of the Evaluator's TFMA output, for the report and the summary."""

import dataclasses
import json
import re

import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.proto import metrics_for_slice_pb2

from contract import paths
from reporting import run_record

# TFX names the two models of an evaluation with a baseline so; a lone
# candidate has no name.
CANDIDATE_NAMES = ('', 'candidate')
BASELINE = 'baseline'
OVERALL = ('Overall', '')

MetricKey = tuple[str, str]  # (output name, metric name)
SliceName = tuple[str, str]  # (feature, value); OVERALL for the whole split


def slice_name(slice_key: metrics_for_slice_pb2.SliceKey) -> SliceName:
  """A single-feature slice as (feature, value); the whole split as OVERALL."""
  if not slice_key.single_slice_keys:
    return OVERALL
  (single,) = slice_key.single_slice_keys
  value = getattr(single, single.WhichOneof('kind'))
  if isinstance(value, bytes):
    value = value.decode('utf-8')
  return single.column, str(value)


@dataclasses.dataclass(frozen=True)
class Evaluation:
  """The Evaluator's output, keyed for the report's tables and charts."""
  # slice -> (output, metric) -> value, of the candidate model.
  candidate: dict[SliceName, dict[MetricKey, float]]
  # Overall values of the baseline model and the candidate's changes.
  baseline: dict[MetricKey, float]
  changes: dict[MetricKey, float]
  # slice -> output -> PlotData protos, of the candidate model.
  plots: dict[SliceName, dict[str, list[metrics_for_slice_pb2.PlotData]]]
  # Each gated metric's rule as text, and the messages of the rules failed.
  thresholds: dict[MetricKey, str]
  failed_thresholds: list[str]

  def overall_plot(self, output: str,
                   field: str) -> metrics_for_slice_pb2.PlotData | None:
    """The overall slice's plot of an output with that PlotData field set."""
    for plot in self.plots.get(OVERALL, {}).get(output, []):
      if plot.HasField(field):
        return plot
    return None


def load_evaluation(uri: str) -> Evaluation:
  """Reads TFMA's protos: they name the model and the diffs of each value.

  The rules come from the run's own EvalConfig, which TFMA writes beside
  its metrics, so the report shows what gated this run.
  """
  candidate, baseline, changes, plots = {}, {}, {}, {}
  for metrics in tfma.load_metrics(uri):
    name = slice_name(metrics.slice_key)
    for entry in metrics.metric_keys_and_values:
      if not entry.value.HasField('double_value'):
        continue
      key = (entry.key.output_name, entry.key.name)
      value = entry.value.double_value.value
      if entry.key.model_name == BASELINE:
        if name == OVERALL:
          baseline[key] = value
      elif entry.key.is_diff:
        if name == OVERALL:
          changes[key] = value
      else:
        candidate.setdefault(name, {})[key] = value
  for plot in tfma.load_plots(uri):
    name = slice_name(plot.slice_key)
    for entry in plot.plot_keys_and_values:
      if entry.key.model_name in CANDIDATE_NAMES:
        plots.setdefault(name, {}).setdefault(
            entry.key.output_name, []).append(entry.value)
  eval_config, *_ = tfma.writers.eval_config_writer.load_eval_run(uri)
  validation = tfma.load_validation_result(uri)
  failed = [failure.message or str(failure.metric_key.name)
            for per_slice in validation.metric_validations_per_slice
            for failure in per_slice.failures]
  return Evaluation(candidate, baseline, changes, plots,
                    thresholds(eval_config), failed)


def read_run_evaluation(run: run_record.Run) -> Evaluation | None:
  """The Evaluator's output of a run, or None when the run has none.

  The closing summary and the report both read it here, so they cannot
  disagree on which artifact is the run's evaluation or how it is read.
  """
  artifact = run.output(paths.EVALUATOR, 'evaluation')
  return load_evaluation(artifact.uri) if artifact else None


def metric_name(metric) -> str:
  """The name of a MetricConfig's values: its config's `name`, if it has one.

  Else TFMA names a metric class's result after the class (AUC -> auc), as it
  did for the TFMA metrics that older runs configured by class name alone.
  """
  name = json.loads(metric.config or '{}').get('name')
  return name or re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_',
                        metric.class_name).lower()


def thresholds(eval_config) -> dict[MetricKey, str]:
  """Each gated metric's rule as text, from the run's own EvalConfig."""
  rules = {}
  for spec in eval_config.metrics_specs:
    for metric in spec.metrics:
      for per_slice in metric.per_slice_thresholds:
        threshold = per_slice.threshold
        texts = []
        value = threshold.value_threshold
        if value.HasField('upper_bound'):
          texts.append(f'≤ {value.upper_bound.value:g}')
        if value.HasField('lower_bound'):
          texts.append(f'≥ {value.lower_bound.value:g}')
        change = threshold.change_threshold
        if change.HasField('absolute'):
          texts.append(f'change vs baseline within '
                       f'{change.absolute.value:+g}')
        for output in spec.output_names:
          rules[(output, metric_name(metric))] = '; '.join(texts)
  return rules
