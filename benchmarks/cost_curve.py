"""One point of the cost curve: synthetic ml-25m-format ratings through the whole pipeline.

  OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.cost_curve \\
      --ratings 1000000 [--work-dir /tmp/ytdnn-cost] [--ensemble-size 1] \\
      [--autorec-weight 0]

Writes a CSV sample of about `--ratings` ratings (data/make_sample.py; users
and movies grow with the ratings as SHAPE says), runs `ytdnn run` on it
(temporal split) while sampling the process tree's RSS (run_ranking's
run_pipeline: wall time, peak RSS and seconds per component), reads the
run's figures (the Evaluator's RMSE and AUC, the retrieval and two-stage
HR@10) and writes benchmarks/results/scale_csv_<ratings>.json, with each
component's seconds per million ratings, so the points compare.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import baselines
from benchmarks import run_ranking
from benchmarks import speed_probe
from contract import formats
from contract import paths
from contract import splits
from reporting import summary

# The sample's shape per million ratings: 143 ratings a user, as the first
# point (7,000 users and 10,000 movies at 1M) had; movies grow with the
# square root of the ratings, as the releases' do (ml-1m 3,706 movies for
# 1M ratings, ml-25m 62,423 for 25M).
RATINGS_PER_USER = 143
MOVIES_AT_1M = 10_000


# Free disk a point needs a million ratings, both where its run directory
# lies and in the temporary directory (the ranking Trainer's scratch copy of
# the transformed split): the 10M point had used 10.6 GB when its Trainer
# stopped, before writing its impression lists (about 6 GB more: 350,000
# lists of 300 x 14 float32).
DISK_GB_PER_MILLION_RATINGS = 2.0


def check_free_disk(point_dir: str, ratings: int) -> None:
  """Refuses to start a point the disk cannot hold: a full disk fails it hours in."""
  needed_gb = DISK_GB_PER_MILLION_RATINGS * ratings / 1e6
  existing = os.path.abspath(point_dir)
  while not os.path.exists(existing):
    existing = os.path.dirname(existing)
  for directory in (existing, tempfile.gettempdir()):
    free_gb = shutil.disk_usage(directory).free / 2**30
    if free_gb < needed_gb:
      raise SystemExit(
          f'{directory} has {free_gb:.1f} GB free: a point of {ratings:,} '
          f'ratings needs about {needed_gb:.1f} GB there')


def sample_shape(ratings: int) -> dict[str, int]:
  """Users and movies for a sample of about `ratings` ratings."""
  return {'users': round(ratings / RATINGS_PER_USER),
          'movies': round(MOVIES_AT_1M * (ratings / 1e6) ** 0.5)}


def make_sample(data_dir: str, shape: dict[str, int]) -> float:
  """Writes the CSV sample; returns the seconds it took."""
  started = time.monotonic()
  subprocess.run(
      [sys.executable, '-m', 'data.make_sample', '--output-dir', data_dir,
       '--format', formats.CSV.name, '--users', str(shape['users']),
       '--movies', str(shape['movies']),
       '--ratings-per-user', str(RATINGS_PER_USER)],
      check=True, cwd=REPO,
      env={**os.environ, 'OPENBLAS_NUM_THREADS': '1'})
  return time.monotonic() - started


def quality(output_dir: str) -> dict:
  """The run's own figures: the candidate models', pushed or not."""
  run = summary.read_summary(paths.metadata_path(output_dir))
  return {'ranking': run.metrics, 'retrieval': run.retrieval_metrics,
          'retrieval_popularity': run.retrieval_popularity_metrics,
          'two_stage': {name: pair[0] for name, pair in
                        run.two_stage_metrics.items()}}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--ratings', type=int, required=True)
  parser.add_argument('--work-dir', default='/tmp/ytdnn-cost')
  parser.add_argument('--ensemble-size', type=int, default=1)
  parser.add_argument('--autorec-weight', type=float, default=0.0,
                      help='0 (the default) leaves I-AutoRec out: its steps '
                      'cost in proportion to movies times users, so it would '
                      'dominate every point past the first')
  args = parser.parse_args()
  point_dir = os.path.join(os.path.abspath(args.work_dir), str(args.ratings))
  if os.path.exists(point_dir):
    raise SystemExit(f'{point_dir} exists: give a fresh --work-dir')
  check_free_disk(point_dir, args.ratings)
  data_dir, output_dir = (os.path.join(point_dir, 'data'),
                          os.path.join(point_dir, 'run'))
  shape = sample_shape(args.ratings)
  result = {'command': ' '.join(sys.argv), 'shape': shape,
            'ensemble_size': args.ensemble_size,
            'autorec_weight': args.autorec_weight,
            'split_protocol': splits.TEMPORAL,
            'machine': baselines.machine(),
            'speed_probe': speed_probe.probe(),
            'make_sample_s': make_sample(data_dir, shape),
            # run_pipeline's peak_rss_mb includes its children's high-water
            # mark, which counts make_sample's: this tells them apart.
            'make_sample_peak_rss_mb': resource.getrusage(
                resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
  try:
    result.update(run_ranking.run_pipeline(
        data_dir, output_dir, splits.TEMPORAL,
        extra_args=('--ensemble-size', str(args.ensemble_size),
                    '--autorec-weight', str(args.autorec_weight))))
  except run_ranking.PipelineFailed as failure:
    result.update(failure.figures, failed=str(failure))
    write_point(result, args.ratings, f'scale_csv_{args.ratings}_failed.json')
    raise SystemExit(str(failure)) from failure
  result['quality'] = quality(output_dir)
  write_point(result, args.ratings, f'scale_csv_{args.ratings}.json')


def write_point(result: dict, ratings: int, name: str) -> None:
  """Adds the load at the end and the seconds per million ratings, and writes the point.

  A failed point goes to its own name, which plot_cost_curve does not read.
  """
  result['load_average_1m_at_end'] = os.getloadavg()[0]
  result['component_s_per_million_ratings'] = {
      component: seconds / (ratings / 1e6)
      for component, seconds in result['component_s'].items()}
  print('wrote ' + baselines.write_results(
      result, os.path.join(REPO, 'benchmarks', 'results'), name))


if __name__ == '__main__':
  main()
