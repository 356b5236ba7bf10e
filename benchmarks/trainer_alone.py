"""The ranking Trainer's run_fn, timed alone on a run's artifacts.

  OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.trainer_alone \\
      --output-dir RUN [--config '{"ensemble_size": 1}'] --results-name NAME

Calls the pipeline's ranking run_fn (configs.RUN_FN, by its dotted path, as
TFX's Trainer executor does) on RUN's newest
ingested train split, Transform graph and impression lists (RUN must have
run up to ImpressionGen; a run that failed in its ranking Trainer will do),
with ModelConfig's defaults and `--config`'s overrides, and writes its wall
time, the process's peak RSS and the load to benchmarks/results/NAME. A
cost-curve point's Trainer can so be measured without rerunning the steps
before it.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time

from tfx import v1 as tfx
from tfx.utils import import_utils

from benchmarks import bare_trainer
from benchmarks import baselines
from components.ingestion import report
from contract import formats
from contract import paths
from contract import request_lengths
from contract import splits
from models import hyperparameters
from pipeline import configs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a run')
  parser.add_argument('--config', default='{}',
                      help='JSON of ModelConfig fields to override')
  parser.add_argument('--results-name', required=True)
  args = parser.parse_args()
  root = paths.pipeline_root(args.output_dir)
  ingestion = report.read_report(
      paths.latest_output(root, paths.INGESTION, 'report'))
  overrides = json.loads(args.config)
  config = hyperparameters.ModelConfig.with_overrides(overrides)
  lengths = request_lengths.RequestLengths(ingestion['history_length'],
                                           ingestion['raters_length'])
  result = {'command': ' '.join(sys.argv), 'machine': baselines.machine(),
            'config': overrides,
            'train_examples': ingestion['rows'][splits.TRAIN_SPLIT]}
  module, name = configs.RUN_FN.rsplit('.', 1)
  run_fn = import_utils.import_func_from_module(module, name)
  started = time.monotonic()
  with tempfile.TemporaryDirectory(prefix='ytdnn-trainer-alone-') as out:
    run_fn(tfx.components.FnArgs(
        train_files=bare_trainer.latest_raw_files(root, splits.TRAIN_SPLIT),
        transform_output=paths.latest_output(root, paths.TRANSFORM,
                                             'transform_graph'),
        serving_model_dir=os.path.join(out, 'serving'),
        model_run_dir=os.path.join(out, 'run'),
        custom_config={
            **config.trainer_custom_config(lengths),
            formats.CUSTOM_CONFIG_KEY: ingestion['data_format'],
            paths.IMPRESSION_FILES: [os.path.join(paths.split_dir(
                paths.latest_output(root, paths.IMPRESSION_GEN, 'impressions'),
                splits.TRAIN_SPLIT), '*')]}))
    result['trainer_s'] = round(time.monotonic() - started, 1)
  result['peak_rss_mb'] = round(
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
  result['load_average_1m_at_end'] = os.getloadavg()[0]
  print('wrote ' + baselines.write_results(
      result, os.path.join(REPO, 'benchmarks', 'results'), args.results_name))


if __name__ == '__main__':
  main()
