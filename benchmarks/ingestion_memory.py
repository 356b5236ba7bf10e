"""Peak RSS and wall time of the ingestion's Beam graph alone, on one data dir.

  .venv/bin/python -m benchmarks.ingestion_memory --data-dir DIR
      --output-dir OUT --results-name NAME.json   # -> benchmarks/results/

The cost curve's runs are one process, so the ingestion's figure there is
that process's high-water mark. This runs only the graph the ingestion
component runs (`ingest.ingest`, Beam's in-memory DirectRunner, the
pipeline's history and raters lengths and the format's curated schema), so
its growth with the ratings can be read on its own. The examples and the
report are written under OUT.
"""

import argparse
import os
import resource
import sys
import time

import apache_beam as beam
import tensorflow_data_validation as tfdv

from benchmarks import baselines
from benchmarks import speed_probe
from components import curated_schema
from components.ingestion import ingest
from components.ingestion import ingestion_config
from components.ingestion import input_files
from components.ingestion import outputs
from components.ingestion import report
from contract import paths


def peak_rss_mb() -> float:
  """This process's high-water resident set so far (Linux reports KB)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--data-dir', required=True)
  parser.add_argument('--output-dir', required=True,
                      help='where the examples and the report are written')
  parser.add_argument('--results-name', required=True,
                      help='the results file, e.g. ingestion_memory_1m.json')
  args = parser.parse_args()
  config = ingestion_config.IngestionConfig()
  files = input_files.check_input_files(args.data_dir)
  schema = curated_schema.schema_for_format(
      tfdv.load_schema_text(paths.SCHEMA_PATH), files.data_format)
  result = {'command': ' '.join(sys.argv), 'machine': baselines.machine(),
            'speed_probe': speed_probe.probe(),
            'format': files.data_format.name,
            'split_protocol': config.split_protocol,
            'history_length': config.history_length,
            'raters_length': config.raters_length,
            'peak_rss_mb_before_graph': peak_rss_mb()}
  started = time.monotonic()
  with beam.Pipeline() as pipeline:
    ingest.ingest(pipeline, files, config.split_protocol,
                  config.history_length, config.raters_length,
                  outputs.feature_types(schema),
                  os.path.join(args.output_dir, 'examples'),
                  os.path.join(args.output_dir, 'report'))
  result['seconds'] = time.monotonic() - started
  result['peak_rss_mb'] = peak_rss_mb()
  result['load_average_1m_at_end'] = os.getloadavg()[0]
  ingested = report.read_report(os.path.join(args.output_dir, 'report'))
  result['rows'] = ingested['rows']
  print('wrote ' + baselines.write_results(
      result, baselines.DEFAULT_RESULTS_DIR, args.results_name))


if __name__ == '__main__':
  main()
