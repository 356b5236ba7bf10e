"""The report's evaluation sections: metrics per slice, plots, blessing, retrieval."""

import html
import os
import re

import tensorflow as tf
from tensorflow_model_analysis.proto import metrics_for_slice_pb2

from components import retrieval_evaluator
from components import serving_baseline
from components import two_stage_evaluator
from contract import features
from contract import formats
from contract import paths
from pipeline import evaluation
from reporting import charts
from reporting import page
from reporting import run_record
from reporting import tfma_results

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


def _format(key: tuple[str, str], value: float) -> str:
  """A TFMA metric: counts as counts, everything else to four decimals."""
  return page.count(value) if key[1] == EXAMPLE_COUNT else f'{value:.4f}'


def _metric_columns(
    evaluation: tfma_results.Evaluation) -> list[tfma_results.MetricKey]:
  keys = {key for values in evaluation.candidate.values() for key in values}
  heads = features.HEADS
  return sorted(keys, key=lambda key: (
      heads.index(key[0]) if key[0] in heads else len(heads), key[1]))


def _slice_values(evaluation: tfma_results.Evaluation,
                  feature: str) -> list[str]:
  """A feature's slice values, numbers by value and bucket labels by bound."""

  def order(value: str) -> tuple[float, str]:
    leading = re.match(r'-?[0-9.]+', value)
    return (float(leading.group()) if leading else float('inf'), value)

  return sorted((value for name, value in evaluation.candidate
                 if name == feature), key=order)


def metrics_section(evaluation: tfma_results.Evaluation) -> str:
  columns = _metric_columns(evaluation)
  header = ['slice'] + [f'{output}<br>{name}' for output, name in columns]

  def row(label: str, name: tfma_results.SliceName) -> list[str]:
    values = evaluation.candidate.get(name, {})
    return [html.escape(label)] + [
        _format(key, values[key]) if key in values else '' for key in columns]

  parts = ['<h3>Overall</h3>',
           page.table(header, [row('overall', tfma_results.OVERALL)])]
  for feature in features.SLICE_FEATURES:
    values = _slice_values(evaluation, feature)
    parts.append(f'<h3>By {html.escape(feature)}</h3>')
    if not values:
      parts.append(page.missing(f'No {feature} slice in this evaluation.'))
      continue
    parts.append(page.table([feature] + header[1:], [
        row(value, (feature, value)) for value in values]))
  return ''.join(parts)


def _calibration_chart(evaluation: tfma_results.Evaluation) -> str:
  plot = evaluation.overall_plot(features.LIKED_HEAD, CALIBRATION_BUCKETS)
  if plot is None:
    return page.missing('No calibration plot of the liked head.')
  points = [
      (bucket.total_weighted_refined_prediction.value /
       bucket.num_weighted_examples.value,
       bucket.total_weighted_label.value / bucket.num_weighted_examples.value)
      for bucket in plot.calibration_histogram_buckets.buckets
      if bucket.num_weighted_examples.value > 0]
  return charts.line_chart(
      'Calibration of the liked head', {'liked': points}, (0.0, 1.0),
      (0.0, 1.0), 'mean predicted probability (bucket)',
      'share actually liked', diagonal=True)


def _star_counts_of_rating_head(plot: metrics_for_slice_pb2.PlotData,
                                scale: formats.RatingScale) -> list[float]:
  """Rating predictions per nearest scale value; out-of-range ones join the ends."""
  left, right, num_buckets = evaluation.rating_plot_buckets(scale)
  width = (right - left) / num_buckets
  counts = [0.0] * scale.num_values
  for bucket in plot.calibration_histogram_buckets.buckets:
    star = int((bucket.lower_threshold_inclusive - left) // width) if (
        bucket.lower_threshold_inclusive > float('-inf')) else 0
    counts[min(max(star, 0), scale.num_values - 1)] += (
        bucket.num_weighted_examples.value)
  return counts


def _rating_distribution_chart(evaluation: tfma_results.Evaluation,
                               scale: formats.RatingScale) -> str:
  confusion = evaluation.overall_plot(features.STARS_HEAD, CONFUSION_MATRICES)
  rating = evaluation.overall_plot(features.RATING_HEAD, CALIBRATION_BUCKETS)
  if confusion is None or rating is None:
    return page.missing('No rating distribution plots in this evaluation.')
  actual = [0.0] * scale.num_values
  most_likely = [0.0] * scale.num_values
  matrix = confusion.multi_class_confusion_matrix_at_thresholds.matrices[0]
  for entry in matrix.entries:
    actual[entry.actual_class_id] += entry.num_weighted_examples
    if 0 <= entry.predicted_class_id < scale.num_values:
      most_likely[entry.predicted_class_id] += entry.num_weighted_examples
  return charts.bar_chart(
      'Predicted vs actual rating (eval split)',
      [f'{scale.lowest + place * scale.step:g}'
       for place in range(scale.num_values)],
      {'actual': actual,
       'rating head, rounded': _star_counts_of_rating_head(rating, scale),
       'stars head, most likely': most_likely},
      'examples', 'stars')


def _slice_charts(evaluation: tfma_results.Evaluation) -> list[str]:
  slice_charts = []
  for feature in features.SLICE_FEATURES:
    values = _slice_values(evaluation, feature)
    if not values:
      continue
    series = {
        label: [evaluation.candidate[(feature, value)].get(key, float('nan'))
                for value in values]
        for key, label in BAR_METRICS}
    slice_charts.append(charts.bar_chart(
        f'By {feature}', values, series, 'metric value', feature))
  return slice_charts


def plots_section(evaluation: tfma_results.Evaluation,
                  scale: formats.RatingScale) -> str:
  return ('<div class="charts">' + _calibration_chart(evaluation)
          + _rating_distribution_chart(evaluation, scale) + '</div>'
          + '<h3>Per slice</h3><div class="charts">'
          + ''.join(_slice_charts(evaluation)) + '</div>')


# --- Baseline and blessing ------------------------------------------------


def baseline_section(run: run_record.Run,
                     evaluation_data: tfma_results.Evaluation) -> str:
  blessed = bool(run.blessed(paths.EVALUATOR))
  baseline = run.input(paths.EVALUATOR, 'baseline_model')
  parts = [f'<p>Blessing decision: <span class="{"ok" if blessed else "bad"}">'
           f'{"blessed" if blessed else "not blessed"}</span>.</p>']
  served = serving_baseline.served_model(baseline) if baseline else ''
  if not served:
    parts.append('<p>No baseline model: no model had been blessed before, '
                 'so only the fixed bounds applied.</p>')
  else:
    parts.append(f'<p>Baseline: the last blessed model, as pushed to '
                 f'<code>{html.escape(served)}</code>.</p>')
  overall = evaluation_data.candidate.get(tfma_results.OVERALL, {})
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
        html.escape(evaluation_data.thresholds.get(key, ''))))
  parts.append(page.table(
      ('metric (overall)', 'candidate', 'baseline', 'change', 'threshold'),
      rows))
  if evaluation_data.failed_thresholds:
    parts.append('<p>Failed thresholds:</p><ul>' + ''.join(
        f'<li>{html.escape(failure)}</li>'
        for failure in evaluation_data.failed_thresholds) + '</ul>')
  return ''.join(parts)


# --- Retrieval ------------------------------------------------------------


def retrieval_section(metrics_dir: str | None) -> str:
  """The HR@K curve of a retrieval evaluation directory, if the run has one."""
  if metrics_dir is None:
    return '<p class="note">No retrieval model in this run.</p>'
  metrics = retrieval_evaluator.read_metrics(metrics_dir)
  curve = [(float(k), float(rate)) for k, rate in metrics['hit_rate_curve']]
  summary = page.table(
      ('protocol', 'targets', 'HR@10', 'HR@50', 'HR@100', 'NDCG@10'),
      [(html.escape(str(metrics['protocol'])), page.count(metrics['targets']),
        page.number(metrics['hr@10']), page.number(metrics['hr@50']),
        page.number(metrics['hr@100']), page.number(metrics['ndcg@10']))])
  top = max((rate for _, rate in curve), default=0.0)
  chart = charts.line_chart(
      'Hit rate at K', {'HR@K': curve},
      (0.0, max((k for k, _ in curve), default=1.0)),
      (0.0, min(1.0, max(top * 1.1, 0.01))), 'K', 'hit rate')
  return summary + chart


def _evaluation_dir(run: run_record.Run, node_id: str,
                    metrics_file: str) -> str | None:
  evaluation = run.output(node_id, 'evaluation')
  if evaluation and tf.io.gfile.exists(
      os.path.join(evaluation.uri, metrics_file)):
    return evaluation.uri
  return None


def retrieval_dir(run: run_record.Run) -> str | None:
  return _evaluation_dir(run, paths.RETRIEVAL_EVALUATOR,
                         retrieval_evaluator.METRICS_FILE)


# --- Two stages -----------------------------------------------------------

_TWO_STAGE_SIDES = {two_stage_evaluator.RETRIEVAL: 'retrieval alone',
                    two_stage_evaluator.TWO_STAGE: 'retrieve, then rank'}


def two_stage_section(metrics_dir: str | None,
                      blessed: bool | None = None) -> str:
  """Retrieval alone against retrieve -> rank on the same targets, with both HR@K curves."""
  if metrics_dir is None:
    return '<p class="note">No two-stage evaluation in this run.</p>'
  metrics = two_stage_evaluator.read_metrics(metrics_dir)
  names = ('hr@10', 'hr@50', 'hr@100', 'ndcg@10',
           two_stage_evaluator.LIKED_HIT_RATE)
  rows = [[html.escape(label)] + [page.number(metrics[side][name])
                                  for name in names]
          for side, label in _TWO_STAGE_SIDES.items()]
  intervals = ''.join(
      f'<li>{html.escape(name)} difference, paired bootstrap 95% over '
      f'users: {page.number(metrics[f"{name}_delta_ci95"][0])} to '
      f'{page.number(metrics[f"{name}_delta_ci95"][1])}</li>'
      for name in ('hr@10', 'ndcg@10'))
  parts = [
      f'<p>{page.count(metrics["targets"])} targets (each user\'s newest '
      f'eval rating; {page.count(metrics["liked_targets"])} liked), '
      f'{page.count(metrics["candidates"])} retrieved candidates each.</p>',
      page.table(('order', 'HR@10', 'HR@50', 'HR@100', 'NDCG@10',
                  'HR@10 of liked targets'), rows),
      f'<ul>{intervals}</ul>']
  if blessed is not None:
    parts.append(
        '<p>The ranking model is pushed only when both its rating heads are '
        'blessed and reordering keeps NDCG@10 at least retrieval\'s: '
        f'<span class="{"ok" if blessed else "bad"}">'
        f'{"blessed" if blessed else "not blessed"}</span>.</p>')
  curves = {label: [(float(k), float(rate)) for k, rate in
                    metrics[side]['hit_rate_curve']]
            for side, label in _TWO_STAGE_SIDES.items()}
  points = [point for curve in curves.values() for point in curve]
  top = max(rate for _, rate in points)
  parts.append(charts.line_chart(
      'Hit rate at K, both orders', curves,
      (0.0, max(k for k, _ in points)),
      (0.0, min(1.0, max(top * 1.1, 0.01))), 'K', 'hit rate'))
  return ''.join(parts)


def two_stage_dir(run: run_record.Run) -> str | None:
  return _evaluation_dir(run, paths.TWO_STAGE_EVALUATOR,
                         two_stage_evaluator.METRICS_FILE)
