"""`ytdnn report`: one static HTML page of a run's data and evaluation.

Everything comes from the run's artifacts as ML Metadata records them, and the
page loads nothing: no script at all, styles inline, charts as inline SVG.
TFDV's own HTML (`get_statistics_html`) is not used because it loads Facets
from the web through HTML imports, which Chromium dropped long ago; the
statistics are drawn here as tables from the same statistics protos.
"""

import dataclasses
import datetime
import html
import json
import os
import re
from typing import Iterable, Sequence

import tensorflow as tf
import tensorflow_data_validation as tfdv
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.proto import metrics_for_slice_pb2
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tensorflow_metadata.proto.v0 import statistics_pb2

from components import retrieval_evaluator
from components.ingestion import outputs as ingestion_outputs
from pipeline import evaluation
from pipeline import features
from pipeline import report_run
from pipeline import report_svg

from pipeline.report_run import EVALUATOR
from pipeline.report_run import EXAMPLE_VALIDATOR
from pipeline.report_run import INGESTION
from pipeline.report_run import RETRIEVAL_EVALUATOR
from pipeline.report_run import STATISTICS_GEN

# TFX names the two models of an evaluation with a baseline so; a lone
# candidate has no name.
CANDIDATE_NAMES = ('', 'candidate')
BASELINE = 'baseline'
OVERALL = ('Overall', '')
HEADS = (features.RATING_HEAD, features.STARS_HEAD, features.LIKED_HEAD)
# The per-slice bars, with their legends: the gated metrics plus the stars
# head's accuracy.
BAR_METRICS = (
    ((features.RATING_HEAD, 'root_mean_squared_error'), 'rating RMSE'),
    ((features.STARS_HEAD, 'sparse_categorical_accuracy'), 'stars accuracy'),
    ((features.LIKED_HEAD, 'auc'), 'liked AUC'),
)
EXAMPLE_COUNT = 'example_count'
# TFMA writes the calibration plot without its name, so plots are found by
# their PlotData field instead.
CALIBRATION_BUCKETS = 'calibration_histogram_buckets'
CONFUSION_MATRICES = 'multi_class_confusion_matrix_at_thresholds'
TOP_VALUES = 5
REJECTS_SHOWN = 5

# Section ids, in page order, with their headings; the browser test checks
# each one is there.
SECTIONS = (
    ('overview', 'Run'),
    ('statistics', 'Data statistics'),
    ('anomalies', 'Anomalies'),
    ('rejects', 'Rejected input lines'),
    ('metrics', 'Evaluation metrics'),
    ('plots', 'Plots'),
    ('baseline', 'Baseline comparison and blessing'),
    ('retrieval', 'Retrieval'),
)

STYLE = '''
body { font-family: sans-serif; margin: 2em auto; max-width: 72em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #3366cc;
  padding-bottom: .2em; margin-top: 2em; } h3 { margin-top: 1.4em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right;
         vertical-align: middle; }
th { background: #f0f3fa; } td.text, th.text { text-align: left; }
.ok { color: #227733; font-weight: bold; }
.bad { color: #bb2222; font-weight: bold; }
.note { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 1em; }
nav a { margin-right: 1em; }
'''

MetricKey = tuple[str, str]  # (output name, metric name)
SliceName = tuple[str, str]  # (feature, value); OVERALL for the whole split


def _count(value: float | int) -> str:
  return f'{int(value):,}'


def _number(value: float | int) -> str:
  """Ids, years and timestamps are numbers too: no thousands separators."""
  if float(value).is_integer():
    return str(int(value))
  return f'{value:.4f}'


def _format(key: tuple[str, str], value: float) -> str:
  """A TFMA metric: counts as counts, everything else to four decimals."""
  return _count(value) if key[1] == EXAMPLE_COUNT else f'{value:.4f}'


def _shortened(text: str, length: int = 40) -> str:
  return text if len(text) <= length else text[:length - 1] + '…'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]],
           text_columns: Sequence[int] = (0,)) -> str:
  """Cells are HTML already; numbers align right, `text_columns` left."""

  def cells(tag: str, row: Sequence[str]) -> str:
    return ''.join(
        f'<{tag} class="text">{cell}</{tag}>' if i in text_columns else
        f'<{tag}>{cell}</{tag}>' for i, cell in enumerate(row))

  body = ''.join(f'<tr>{cells("td", row)}</tr>' for row in rows)
  return f'<table><tr>{cells("th", header)}</tr>{body}</table>'


def _missing(what: str) -> str:
  return f'<p class="note">{html.escape(what)}</p>'


def _split_names(artifact) -> list[str]:
  return json.loads(artifact.properties['split_names'].string_value)


# --- Run overview ---------------------------------------------------------


def _overview_section(run: report_run.Run, metadata_path: str) -> str:
  ingested = run.output(INGESTION, 'report')
  protocol = (ingested.custom_properties['split_protocol'].string_value
              if ingested else 'unknown')
  rows = [(html.escape(node), html.escape(state.lower()))
          for node, state in run.states.items()]
  return (f'<p>Run <code>{html.escape(run.run_id)}</code> of '
          f'<code>{html.escape(metadata_path)}</code>, split protocol '
          f'<code>{html.escape(protocol)}</code>. A cached component reused '
          'the artifacts of an earlier run with the same inputs.</p>'
          + _table(('component', 'state'), rows, text_columns=(0, 1)))


# --- Data statistics ------------------------------------------------------


def _histogram_counts(num_stats: statistics_pb2.NumericStatistics
                      ) -> list[float]:
  for histogram in num_stats.histograms:
    if histogram.type == statistics_pb2.Histogram.STANDARD:
      return [bucket.sample_count for bucket in histogram.buckets]
  return []


def _numeric_rows(dataset: statistics_pb2.DatasetFeatureStatistics
                  ) -> list[list[str]]:
  rows = []
  for feature in dataset.features:
    if not feature.HasField('num_stats'):
      continue
    stats = feature.num_stats
    common = stats.common_stats
    rows.append([
        html.escape('.'.join(feature.path.step)),
        _count(common.num_non_missing),
        f'{common.num_missing / max(dataset.num_examples, 1):.1%}',
        _number(stats.mean), _number(stats.std_dev),
        f'{stats.num_zeros / max(common.num_non_missing, 1):.1%}',
        _number(stats.min), _number(stats.median), _number(stats.max),
        report_svg.histogram_strip(_histogram_counts(stats)),
    ])
  return rows


def _string_rows(dataset: statistics_pb2.DatasetFeatureStatistics
                 ) -> list[list[str]]:
  rows = []
  for feature in dataset.features:
    if not feature.HasField('string_stats'):
      continue
    stats = feature.string_stats
    common = stats.common_stats
    top = ', '.join(
        f'{html.escape(_shortened(value.value))} ({_count(value.frequency)})'
        for value in stats.top_values[:TOP_VALUES])
    rows.append([
        html.escape('.'.join(feature.path.step)),
        _count(common.num_non_missing),
        f'{common.num_missing / max(dataset.num_examples, 1):.1%}',
        _count(stats.unique), f'{stats.avg_length:.1f}', top,
    ])
  return rows


def _statistics_section(run: report_run.Run) -> str:
  statistics = run.output(STATISTICS_GEN, 'statistics')
  if statistics is None:
    return _missing('StatisticsGen produced no statistics in this run.')
  parts = []
  for split in _split_names(statistics):
    stats = tfdv.load_stats_binary(
        os.path.join(statistics.uri, f'Split-{split}', 'FeatureStats.pb'))
    dataset = stats.datasets[0]
    parts.append(f'<h3>Split {html.escape(split)}: '
                 f'{_count(dataset.num_examples)} examples</h3>')
    parts.append(_table(
        ('numeric feature', 'count', 'missing', 'mean', 'std dev', 'zeros',
         'min', 'median', 'max', 'histogram'), _numeric_rows(dataset)))
    parts.append(_table(
        ('string feature', 'count', 'missing', 'unique', 'mean length',
         'most frequent values'), _string_rows(dataset), text_columns=(0, 5)))
  return ''.join(parts)


# --- Anomalies ------------------------------------------------------------


def _anomalies_section(run: report_run.Run) -> str:
  anomalies = run.output(EXAMPLE_VALIDATOR, 'anomalies')
  if anomalies is None:
    return _missing('ExampleValidator did not check this run\'s data.')
  parts = []
  for split in _split_names(anomalies):
    path = os.path.join(anomalies.uri, f'Split-{split}', 'SchemaDiff.pb')
    with tf.io.gfile.GFile(path, 'rb') as file:
      found = anomalies_pb2.Anomalies.FromString(file.read())
    rows = [(html.escape(name), html.escape(info.short_description),
             html.escape(info.description))
            for name, info in sorted(found.anomaly_info.items())]
    if found.HasField('dataset_anomaly_info'):
      info = found.dataset_anomaly_info
      rows.append(('(dataset)', html.escape(info.short_description),
                   html.escape(info.description)))
    if rows:
      parts.append(f'<h3>Split {html.escape(split)}: '
                   f'<span class="bad">{len(rows)} anomalies</span></h3>')
      parts.append(_table(('feature', 'anomaly', 'description'), rows,
                          text_columns=(0, 1, 2)))
    else:
      parts.append(f'<p>Split {html.escape(split)}: <span class="ok">no '
                   'anomalies</span> against the curated schema.</p>')
  return ''.join(parts)


# --- Rejected lines -------------------------------------------------------


def _reject_samples(ingested_uri: str) -> dict[str, list[str]]:
  """The first lines of each rule, as 'file:line: text'."""
  samples = {}
  pattern = os.path.join(ingested_uri, ingestion_outputs.REJECTS_DIR, '*.tsv')
  for path in sorted(tf.io.gfile.glob(pattern)):
    with tf.io.gfile.GFile(path) as file:
      next(file)
      for line in file:
        name, number, rule, text = line.rstrip('\n').split('\t', 3)
        shown = samples.setdefault(rule, [])
        if len(shown) < REJECTS_SHOWN:
          shown.append(f'{name}:{number}: {text}')
  return samples


def _rejects_section(run: report_run.Run) -> str:
  ingested = run.output(INGESTION, 'report')
  if ingested is None:
    return _missing('The ingestion did not run.')
  with tf.io.gfile.GFile(os.path.join(
      ingested.uri, ingestion_outputs.REPORT_FILE)) as file:
    report = json.load(file)
  lines_read = sum(report['lines_read'].values())
  parts = [_table(('file', 'lines read'), [
      (html.escape(name), _count(count))
      for name, count in report['lines_read'].items()]),
               _table(('split', 'examples written'), [
                   (html.escape(split), _count(count))
                   for split, count in report['rows'].items()])]
  rejected = report['rejected_lines']
  if rejected:
    parts.append(f'<p>Rejected {_count(rejected)} of {_count(lines_read)} '
                 f'lines ({rejected / lines_read:.3%}).</p>')
  else:
    parts.append('<p class="ok">No line was rejected.</p>')
  samples = _reject_samples(ingested.uri)
  rows = [(html.escape(rule), _count(count),
           '<br>'.join(html.escape(line) for line in samples.get(rule, [])))
          for rule, count in report['rejects'].items()]
  parts.append(_table(('rule', 'lines', 'first rejected lines'), rows,
                      text_columns=(0, 2)))
  return ''.join(parts)


# --- TFMA metrics and plots -----------------------------------------------


def _slice_name(slice_key: metrics_for_slice_pb2.SliceKey) -> SliceName:
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

  def overall_plot(self, output: str,
                   field: str) -> metrics_for_slice_pb2.PlotData | None:
    """The overall slice's plot of an output with that PlotData field set."""
    for plot in self.plots.get(OVERALL, {}).get(output, []):
      if plot.HasField(field):
        return plot
    return None


def load_evaluation(uri: str) -> Evaluation:
  """Reads TFMA's protos: they name the model and the diffs of each value."""
  candidate, baseline, changes, plots = {}, {}, {}, {}
  for metrics in tfma.load_metrics(uri):
    name = _slice_name(metrics.slice_key)
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
    name = _slice_name(plot.slice_key)
    for entry in plot.plot_keys_and_values:
      if entry.key.model_name in CANDIDATE_NAMES:
        plots.setdefault(name, {}).setdefault(
            entry.key.output_name, []).append(entry.value)
  return Evaluation(candidate, baseline, changes, plots)


def _metric_columns(evaluation: Evaluation) -> list[MetricKey]:
  keys = {key for values in evaluation.candidate.values() for key in values}
  return sorted(keys, key=lambda key: (
      HEADS.index(key[0]) if key[0] in HEADS else len(HEADS), key[1]))


def _slice_values(evaluation: Evaluation, feature: str) -> list[str]:
  """A feature's slice values, numbers by value and bucket labels by bound."""

  def order(value: str) -> tuple[float, str]:
    leading = re.match(r'-?[0-9.]+', value)
    return (float(leading.group()) if leading else float('inf'), value)

  return sorted((value for name, value in evaluation.candidate
                 if name == feature), key=order)


def _metrics_section(evaluation: Evaluation) -> str:
  columns = _metric_columns(evaluation)
  header = ['slice'] + [f'{output}<br>{name}' for output, name in columns]

  def row(label: str, name: SliceName) -> list[str]:
    values = evaluation.candidate.get(name, {})
    return [html.escape(label)] + [
        _format(key, values[key]) if key in values else '' for key in columns]

  parts = ['<h3>Overall</h3>', _table(header, [row('overall', OVERALL)])]
  for feature in features.SLICE_FEATURES:
    values = _slice_values(evaluation, feature)
    parts.append(f'<h3>By {html.escape(feature)}</h3>')
    if not values:
      parts.append(_missing(f'No {feature} slice in this evaluation.'))
      continue
    parts.append(_table([feature] + header[1:], [
        row(value, (feature, value)) for value in values]))
  return ''.join(parts)


def _calibration_chart(evaluation: Evaluation) -> str:
  plot = evaluation.overall_plot(features.LIKED_HEAD, CALIBRATION_BUCKETS)
  if plot is None:
    return _missing('No calibration plot of the liked head.')
  points = [
      (bucket.total_weighted_refined_prediction.value /
       bucket.num_weighted_examples.value,
       bucket.total_weighted_label.value / bucket.num_weighted_examples.value)
      for bucket in plot.calibration_histogram_buckets.buckets
      if bucket.num_weighted_examples.value > 0]
  return report_svg.line_chart(
      'Calibration of the liked head', {'liked': points}, (0.0, 1.0),
      (0.0, 1.0), 'mean predicted probability (bucket)',
      'share actually liked', diagonal=True)


def _star_counts_of_rating_head(
    plot: metrics_for_slice_pb2.PlotData) -> list[float]:
  """Rating predictions per nearest star; out-of-range ones join the ends."""
  left, right, num_buckets = evaluation.RATING_PLOT_BUCKETS
  width = (right - left) / num_buckets
  counts = [0.0] * features.NUM_STARS
  for bucket in plot.calibration_histogram_buckets.buckets:
    star = int((bucket.lower_threshold_inclusive - left) // width) if (
        bucket.lower_threshold_inclusive > float('-inf')) else 0
    counts[min(max(star, 0), features.NUM_STARS - 1)] += (
        bucket.num_weighted_examples.value)
  return counts


def _rating_distribution_chart(evaluation: Evaluation) -> str:
  confusion = evaluation.overall_plot(features.STARS_HEAD, CONFUSION_MATRICES)
  rating = evaluation.overall_plot(features.RATING_HEAD, CALIBRATION_BUCKETS)
  if confusion is None or rating is None:
    return _missing('No rating distribution plots in this evaluation.')
  actual = [0.0] * features.NUM_STARS
  most_likely = [0.0] * features.NUM_STARS
  matrix = confusion.multi_class_confusion_matrix_at_thresholds.matrices[0]
  for entry in matrix.entries:
    actual[entry.actual_class_id] += entry.num_weighted_examples
    if 0 <= entry.predicted_class_id < features.NUM_STARS:
      most_likely[entry.predicted_class_id] += entry.num_weighted_examples
  return report_svg.bar_chart(
      'Predicted vs actual rating (eval split)',
      [str(star) for star in range(1, features.NUM_STARS + 1)],
      {'actual': actual,
       'rating head, rounded': _star_counts_of_rating_head(rating),
       'stars head, most likely': most_likely},
      'examples', 'stars')


def _slice_charts(evaluation: Evaluation) -> list[str]:
  charts = []
  for feature in features.SLICE_FEATURES:
    values = _slice_values(evaluation, feature)
    if not values:
      continue
    series = {
        label: [evaluation.candidate[(feature, value)].get(key, float('nan'))
                for value in values]
        for key, label in BAR_METRICS}
    charts.append(report_svg.bar_chart(
        f'By {feature}', values, series, 'metric value', feature))
  return charts


def _plots_section(evaluation: Evaluation) -> str:
  return ('<div class="charts">' + _calibration_chart(evaluation)
          + _rating_distribution_chart(evaluation) + '</div>'
          + '<h3>Per slice</h3><div class="charts">'
          + ''.join(_slice_charts(evaluation)) + '</div>')


# --- Baseline and blessing ------------------------------------------------


def _metric_name(metric) -> str:
  """The name of a MetricConfig's values: its config's `name`, if it has one.

  Else TFMA names a metric class's result after the class (AUC -> auc), as it
  did for the TFMA metrics that older runs configured by class name alone.
  """
  name = json.loads(metric.config or '{}').get('name')
  return name or re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_',
                        metric.class_name).lower()


def _thresholds(eval_config) -> dict[MetricKey, str]:
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
          rules[(output, _metric_name(metric))] = '; '.join(texts)
  return rules


def _baseline_section(run: report_run.Run, evaluation_uri: str,
                      evaluation_data: Evaluation) -> str:
  blessing = run.output(EVALUATOR, 'blessing')
  blessed = bool(blessing and
                 blessing.custom_properties['blessed'].int_value)
  baseline = run.input(EVALUATOR, 'baseline_model')
  parts = [f'<p>Blessing decision: <span class="{"ok" if blessed else "bad"}">'
           f'{"blessed" if blessed else "not blessed"}</span>.</p>']
  if baseline is None:
    parts.append('<p>No baseline model: no model had been blessed before, '
                 'so only the fixed bounds applied.</p>')
  else:
    parts.append(f'<p>Baseline: the last blessed model, '
                 f'<code>{html.escape(baseline.uri)}</code>.</p>')
  thresholds = _thresholds(tfma.load_eval_result(evaluation_uri).config)
  overall = evaluation_data.candidate.get(OVERALL, {})
  rows = []
  for key in _metric_columns(evaluation_data):
    if key not in overall:
      continue
    rows.append((
        html.escape(f'{key[0]} {key[1]}'), _format(key, overall[key]),
        _format(key, evaluation_data.baseline[key])
        if key in evaluation_data.baseline else '',
        f'{evaluation_data.changes[key]:+.4f}'
        if key in evaluation_data.changes else '',
        html.escape(thresholds.get(key, ''))))
  parts.append(_table(
      ('metric (overall)', 'candidate', 'baseline', 'change', 'threshold'),
      rows))
  validation = tfma.load_validation_result(evaluation_uri)
  failures = [
      html.escape(failure.message or str(failure.metric_key.name))
      for per_slice in validation.metric_validations_per_slice
      for failure in per_slice.failures]
  if failures:
    parts.append('<p>Failed thresholds:</p><ul>' + ''.join(
        f'<li>{failure}</li>' for failure in failures) + '</ul>')
  return ''.join(parts)


# --- Retrieval ------------------------------------------------------------


def retrieval_section(metrics_dir: str | None) -> str:
  """The HR@K curve of a retrieval evaluation directory, if the run has one."""
  if metrics_dir is None:
    return '<p class="note">No retrieval model in this run.</p>'
  metrics = retrieval_evaluator.read_metrics(metrics_dir)
  curve = [(float(k), float(rate)) for k, rate in metrics['hit_rate_curve']]
  summary = _table(
      ('protocol', 'targets', 'HR@10', 'HR@50', 'HR@100', 'NDCG@10'),
      [(html.escape(str(metrics['protocol'])), _count(metrics['targets']),
        _number(metrics['hr@10']), _number(metrics['hr@50']),
        _number(metrics['hr@100']), _number(metrics['ndcg@10']))])
  top = max((rate for _, rate in curve), default=0.0)
  chart = report_svg.line_chart(
      'Hit rate at K', {'HR@K': curve},
      (0.0, max((k for k, _ in curve), default=1.0)),
      (0.0, min(1.0, max(top * 1.1, 0.01))), 'K', 'hit rate')
  return summary + chart


def _retrieval_dir(run: report_run.Run) -> str | None:
  evaluation = run.output(RETRIEVAL_EVALUATOR, 'evaluation')
  if evaluation and tf.io.gfile.exists(
      os.path.join(evaluation.uri, retrieval_evaluator.METRICS_FILE)):
    return evaluation.uri
  return None


# --- The page -------------------------------------------------------------


def build_report(metadata_path: str, run_id: str = report_run.LATEST) -> str:
  """The whole page of a run of the store, as HTML text."""
  run = report_run.read_run(metadata_path, run_id)
  evaluation_artifact = run.output(EVALUATOR, 'evaluation')
  bodies = {
      'overview': _overview_section(run, metadata_path),
      'statistics': _statistics_section(run),
      'anomalies': _anomalies_section(run),
      'rejects': _rejects_section(run),
      'retrieval': retrieval_section(_retrieval_dir(run)),
  }
  if evaluation_artifact is None:
    for section in ('metrics', 'plots', 'baseline'):
      bodies[section] = _missing('The Evaluator did not run in this run.')
  else:
    evaluation_data = load_evaluation(evaluation_artifact.uri)
    bodies['metrics'] = _metrics_section(evaluation_data)
    bodies['plots'] = _plots_section(evaluation_data)
    bodies['baseline'] = _baseline_section(run, evaluation_artifact.uri,
                                           evaluation_data)
  return page(run.run_id, bodies)


def page(run_id: str, bodies: dict[str, str]) -> str:
  """The HTML document: SECTIONS in order, nothing loaded from outside."""
  generated = datetime.datetime.now().isoformat(timespec='seconds')
  navigation = ''.join(f'<a href="#{section}">{html.escape(title)}</a>'
                       for section, title in SECTIONS)
  sections = ''.join(
      f'<section id="{section}"><h2>{html.escape(title)}</h2>'
      f'{bodies[section]}</section>' for section, title in SECTIONS)
  return (
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
      f'<title>ytdnn run {html.escape(run_id)}</title>'
      # An empty icon: otherwise the browser asks for /favicon.ico.
      '<link rel="icon" href="data:,">'
      f'<style>{STYLE}</style></head><body>'
      f'<h1>ytdnn run {html.escape(run_id)}</h1>'
      f'<p class="note">Generated {generated}.</p><nav>{navigation}</nav>'
      f'{sections}</body></html>')


def write_report(metadata_path: str, output_path: str,
                 run_id: str = report_run.LATEST) -> str:
  """Writes the page of a run and returns its absolute path."""
  text = build_report(metadata_path, run_id)
  output_path = os.path.abspath(output_path)
  os.makedirs(os.path.dirname(output_path), exist_ok=True)
  with open(output_path, 'w', encoding='utf-8') as file:
    file.write(text)
  return output_path
