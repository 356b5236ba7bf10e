"""The report's data sections: the run, its statistics, anomalies and rejects."""

import html
import json
import os

import tensorflow as tf
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import statistics_pb2

from components import anomalies_gate
from components.ingestion import outputs as ingestion_outputs
from components.ingestion import report as ingestion_report
from contract import paths
from reporting import charts
from reporting import page
from reporting import run_record

TOP_VALUES = 5
REJECTS_SHOWN = 5


def _split_names(artifact) -> list[str]:
  return json.loads(artifact.properties['split_names'].string_value)


# --- Run overview ---------------------------------------------------------


def overview_section(run: run_record.Run, metadata_path: str) -> str:
  ingested = run.output(paths.INGESTION, 'report')
  protocol = (ingested.custom_properties['split_protocol'].string_value
              if ingested else 'unknown')
  rows = [(html.escape(node), html.escape(state.lower()))
          for node, state in run.states.items()]
  return (f'<p>Run <code>{html.escape(run.run_id)}</code> of '
          f'<code>{html.escape(metadata_path)}</code>, split protocol '
          f'<code>{html.escape(protocol)}</code>. A cached component reused '
          'the artifacts of an earlier run with the same inputs.</p>'
          + page.table(('component', 'state'), rows, text_columns=(0, 1)))


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
        page.count(common.num_non_missing),
        f'{common.num_missing / max(dataset.num_examples, 1):.1%}',
        page.number(stats.mean), page.number(stats.std_dev),
        f'{stats.num_zeros / max(common.num_non_missing, 1):.1%}',
        page.number(stats.min), page.number(stats.median),
        page.number(stats.max),
        charts.histogram_strip(_histogram_counts(stats)),
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
        f'{html.escape(page.shortened(value.value))} '
        f'({page.count(value.frequency)})'
        for value in stats.top_values[:TOP_VALUES])
    rows.append([
        html.escape('.'.join(feature.path.step)),
        page.count(common.num_non_missing),
        f'{common.num_missing / max(dataset.num_examples, 1):.1%}',
        page.count(stats.unique), f'{stats.avg_length:.1f}', top,
    ])
  return rows


def statistics_section(run: run_record.Run) -> str:
  statistics = run.output(paths.STATISTICS_GEN, 'statistics')
  if statistics is None:
    return page.missing('StatisticsGen produced no statistics in this run.')
  parts = []
  for split in _split_names(statistics):
    stats = tfdv.load_stats_binary(
        os.path.join(paths.split_dir(statistics.uri, split), 'FeatureStats.pb'))
    dataset = stats.datasets[0]
    parts.append(f'<h3>Split {html.escape(split)}: '
                 f'{page.count(dataset.num_examples)} examples</h3>')
    parts.append(page.table(
        ('numeric feature', 'count', 'missing', 'mean', 'std dev', 'zeros',
         'min', 'median', 'max', 'histogram'), _numeric_rows(dataset)))
    parts.append(page.table(
        ('string feature', 'count', 'missing', 'unique', 'mean length',
         'most frequent values'), _string_rows(dataset), text_columns=(0, 5)))
  return ''.join(parts)


# --- Anomalies ------------------------------------------------------------


def anomalies_section(run: run_record.Run) -> str:
  anomalies = run.output(paths.EXAMPLE_VALIDATOR, 'anomalies')
  if anomalies is None:
    return page.missing('ExampleValidator did not check this run\'s data.')
  parts = []
  for split, found in anomalies_gate.read_anomalies(
      anomalies.uri,
      anomalies.properties['split_names'].string_value).items():
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
      parts.append(page.table(('feature', 'anomaly', 'description'), rows,
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


def rejects_section(run: run_record.Run) -> str:
  ingested = run.output(paths.INGESTION, 'report')
  if ingested is None:
    return page.missing('The ingestion did not run.')
  report = ingestion_report.read_report(ingested.uri)
  lines_read = sum(report['lines_read'].values())
  parts = [page.table(('file', 'lines read'), [
      (html.escape(name), page.count(count))
      for name, count in report['lines_read'].items()]),
               page.table(('split', 'examples written'), [
                   (html.escape(split), page.count(count))
                   for split, count in report['rows'].items()])]
  rejected = report['rejected_lines']
  if rejected:
    parts.append(f'<p>Rejected {page.count(rejected)} of '
                 f'{page.count(lines_read)} '
                 f'lines ({rejected / lines_read:.3%}).</p>')
  else:
    parts.append('<p class="ok">No line was rejected.</p>')
  samples = _reject_samples(ingested.uri)
  rows = [(html.escape(rule), page.count(count),
           '<br>'.join(html.escape(line) for line in samples.get(rule, [])))
          for rule, count in report['rejects'].items()]
  parts.append(page.table(('rule', 'lines', 'first rejected lines'), rows,
                          text_columns=(0, 2)))
  return ''.join(parts)
