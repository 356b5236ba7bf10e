"""The ranking benchmark: one protocol on the real ml-1m, from raw files to figures.

  .venv/bin/python -m benchmarks.run_ranking --protocol temporal \\
      [--data-dir ../shared/data/ml-1m] [--output-dir /tmp/ytdnn-bench-temporal] \\
      [--preset full|quick] [--skip-bare-loop]

Runs the whole pipeline with `ytdnn run` (wall time, peak RSS, per-component
times), scores the eval split through the pushed model's `serving_default`
(quality and serving speed) beside the Evaluator's TFMA figures, trains the same model with the bare loop of
benchmarks/bare_trainer.py on the same data (Trainer overhead, and the
pipeline's wall time in units of bare training time), probes the machine's
speed (benchmarks/speed_probe.py), and writes
benchmarks/results/ranking_<protocol>.json (ranking_<protocol>_quick.json for
the quick preset).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from typing import Sequence

import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import bare_trainer
from benchmarks import baselines
from benchmarks import runner_modes
from benchmarks import serving_quality
from benchmarks import speed_probe
from contract import paths
from contract import splits
from models import hyperparameters
from pipeline import configs
from reporting import summary

BIN = os.path.dirname(sys.executable)
COMPONENT_START = re.compile(r'^  (\w+) \.\.\.$')
COMPONENT_TIME = re.compile(r'^  (\w+) (?:done|cached) in ([\d.]+) s$')


def results_file(stem: str, preset: str) -> str:
  """A results file's name: the full preset's figures are the unsuffixed ones."""
  if preset == configs.DEFAULT_PRESET:
    return f'{stem}.json'
  return f'{stem}_{preset}.json'


class PipelineFailed(RuntimeError):
  """`ytdnn run` failed; `figures` holds what run_pipeline measured until then."""

  def __init__(self, message: str, figures: dict):
    super().__init__(message)
    self.figures = figures


def run_pipeline(data_dir: str, output_dir: str, protocol: str,
                 preset: str = configs.DEFAULT_PRESET,
                 extra_args: Sequence[str] = ()) -> dict:
  """`ytdnn run` in a child process: wall time, peak RSS, per-component figures.

  The process tree's RSS is sampled every half second and each sample is
  charged to the components running then (read from the progress lines), so
  a component's peak is the tree's peak while it ran: what it added on top
  of what earlier components left allocated. `extra_args` go to `ytdnn run`.
  A failed run raises PipelineFailed with the figures of the components
  that finished, so an hours-long run's measurements are not lost.
  """
  started = time.monotonic()
  errors = tempfile.TemporaryFile('w+')
  child = subprocess.Popen(
      [os.path.join(BIN, 'ytdnn'), 'run', '--data-dir', data_dir,
       '--output-dir', output_dir, '--split-protocol', protocol,
       '--preset', preset, *extra_args],
      stdout=subprocess.PIPE, stderr=errors, text=True)
  running, seconds, peaks = set(), {}, {}

  def follow_progress() -> None:
    for line in child.stdout:
      if match := COMPONENT_START.match(line):
        running.add(match[1])
      elif match := COMPONENT_TIME.match(line):
        running.discard(match[1])
        seconds[match[1]] = float(match[2])

  reader = threading.Thread(target=follow_progress)
  reader.start()
  process = psutil.Process(child.pid)
  peak = 0
  while child.poll() is None:
    rss_mb = runner_modes.tree_rss(process) / 2**20
    peak = max(peak, rss_mb)
    for component in list(running):
      peaks[component] = max(peaks.get(component, 0.0), rss_mb)
    time.sleep(0.5)
  reader.join()
  figures = {
      'pipeline_wall_s': time.monotonic() - started,
      'peak_rss_mb': max(peak, resource.getrusage(
          resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
      'component_s': seconds,
      'component_peak_rss_mb': peaks,
  }
  if child.returncode:
    errors.seek(0)
    raise PipelineFailed(f'ytdnn run failed:\n{errors.read()[-3000:]}',
                         figures)
  errors.close()
  return figures


def bare_loop_figures(output_dir: str, config: hyperparameters.ModelConfig,
                      trainer_s: float, pipeline_wall_s: float) -> dict:
  """The same model trained by the bare loop: the Trainer's overhead."""
  bare = bare_trainer.train(paths.pipeline_root(output_dir), config,
                            carve_out=None, on_eval=False)
  trainer_examples_per_s = bare['examples_per_s'] * bare['fit_s'] / trainer_s
  return {
      'bare_loop_examples_per_s': bare['examples_per_s'],
      'trainer_examples_per_s': trainer_examples_per_s,
      'trainer_overhead_ratio': bare['examples_per_s'] / trainer_examples_per_s,
      # The whole pipeline in units of the bare loop's training time, measured
      # in the same run: comparable across days when absolute times are not.
      'bare_loop_fit_s': bare['fit_s'],
      'pipeline_to_bare_ratio': pipeline_wall_s / bare['fit_s'],
  }


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--protocol', choices=splits.SPLIT_PROTOCOLS,
                      required=True)
  parser.add_argument('--data-dir', default=os.path.join(
      REPO, '..', 'shared', 'data', 'ml-1m'))
  parser.add_argument('--output-dir', default=None)
  parser.add_argument('--preset', choices=tuple(configs.PRESETS),
                      default=configs.DEFAULT_PRESET)
  parser.add_argument('--skip-bare-loop', action='store_true',
                      help='leave out the bare loop (the Trainer-overhead '
                      'figures), which trains the model a second time')
  args = parser.parse_args()
  output_dir = os.path.abspath(
      args.output_dir or f'/tmp/ytdnn-bench-{args.protocol}')
  if os.path.exists(output_dir):
    raise SystemExit(f'{output_dir} exists: give a fresh --output-dir')

  result = {'command': ' '.join(sys.argv), 'protocol': args.protocol,
            'preset': args.preset,
            'machine': baselines.machine(),
            'speed_probe': speed_probe.probe()}
  result.update(run_pipeline(os.path.abspath(args.data_dir), output_dir,
                             args.protocol, args.preset))
  result.update(serving_quality.measure(output_dir))
  result['tfma_metrics'] = summary.read_summary(
      paths.metadata_path(output_dir)).metrics

  config = configs.PRESETS[args.preset].model
  result['model_config'] = config.as_custom_config()
  if not args.skip_bare_loop:
    result.update(bare_loop_figures(output_dir, config,
                                    result['component_s']['Trainer'],
                                    result['pipeline_wall_s']))
  path = os.path.join(REPO, 'benchmarks', 'results',
                      results_file(f'ranking_{args.protocol}', args.preset))
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    json.dump(result, f, indent=2, sort_keys=True)
  print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == '__main__':
  main()
