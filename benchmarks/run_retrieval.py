"""The retrieval benchmark: the pipeline on the real ml-1m under `last1`, then recommend.

  .venv/bin/python -m benchmarks.run_retrieval \\
      [--data-dir ../shared/data/ml-1m] [--output-dir /tmp/ytdnn-bench-last1] \\
      [--preset full|quick]

Runs `ytdnn run --split-protocol last1` (wall time, peak RSS, per-component
times), reads the RetrievalEvaluator's figures for the pushed model (HR@K and
NDCG@10 of every user's last rating, full ranking over the movie vocabulary,
earlier movies excluded, next to train popularity) and the
TwoStageEvaluator's for the same targets reordered by the ranking stage
(`two_stage_*`, with the paired bootstrap interval of the NDCG@10
difference), times `recommend` (retrieve, then rank 300 candidates) for a
sample of users, and writes benchmarks/results/retrieval_last1.json
(retrieval_last1_quick.json for the quick preset).
"""

import argparse
import os
import random
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from benchmarks import baselines
from benchmarks import run_ranking
from benchmarks import speed_probe
from components import retrieval_evaluator
from components import two_stage_evaluator
from contract import paths
from contract import splits
from pipeline import configs
from reporting import run_record
from serving import recommend

RECOMMEND_USERS = 200


def recommend_latency(data_dir: str, output_dir: str) -> dict:
  """Load time, and per-user latency of retrieve-then-rank over random users."""
  started = time.monotonic()
  recommender = recommend.Recommender(data_dir, output_dir)
  load_s = time.monotonic() - started
  user_ids = random.Random(0).sample(range(1, 6041), RECOMMEND_USERS)
  recommender.recommend(user_ids[0])
  seconds = [recommend.timed_recommend(recommender, user_id, 10)[1]
             for user_id in user_ids]
  return {'recommend_load_s': load_s,
          'recommend_users': len(seconds),
          'recommend_p50_ms': float(np.percentile(seconds, 50) * 1000),
          'recommend_p99_ms': float(np.percentile(seconds, 99) * 1000)}


def two_stage_figures(run: run_record.Run) -> dict:
  """The TwoStageEvaluator's figures, `two_stage_` before each name."""
  metrics = two_stage_evaluator.read_metrics(
      run.output(paths.TWO_STAGE_EVALUATOR, 'evaluation').uri)
  figures = {f'two_stage_{name}': value for name, value in
             metrics[two_stage_evaluator.TWO_STAGE].items()
             if name != 'hit_rate_curve'}
  figures['retrieval_liked_hr@10'] = metrics[two_stage_evaluator.RETRIEVAL][
      two_stage_evaluator.LIKED_HIT_RATE]
  for metric in ('hr@10', 'ndcg@10'):
    figures[f'two_stage_{metric}_delta_ci95'] = metrics[f'{metric}_delta_ci95']
  figures['two_stage_blessed'] = run.blessed(paths.TWO_STAGE_EVALUATOR)
  return figures


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--data-dir', default=os.path.join(
      REPO, '..', 'shared', 'data', 'ml-1m'))
  parser.add_argument('--output-dir', default='/tmp/ytdnn-bench-last1')
  parser.add_argument('--preset', choices=tuple(configs.PRESETS),
                      default=configs.DEFAULT_PRESET)
  args = parser.parse_args()
  data_dir = os.path.abspath(args.data_dir)
  output_dir = os.path.abspath(args.output_dir)
  if os.path.exists(output_dir):
    raise SystemExit(f'{output_dir} exists: give a fresh --output-dir')

  result = {'command': ' '.join(sys.argv), 'protocol': splits.LAST1,
            'preset': args.preset,
            'machine': baselines.machine(),
            'speed_probe': speed_probe.probe()}
  result.update(run_ranking.run_pipeline(data_dir, output_dir, splits.LAST1,
                                         args.preset))
  run = run_record.read_run(paths.metadata_path(output_dir))
  metrics = retrieval_evaluator.read_metrics(
      run.output(paths.RETRIEVAL_EVALUATOR, 'evaluation').uri)
  metrics.pop('hit_rate_curve')
  result.update(metrics)
  result['retrieval_blessed'] = run.blessed(paths.RETRIEVAL_EVALUATOR)
  result.update(two_stage_figures(run))
  result.update(recommend_latency(data_dir, output_dir))
  result['retrieval_config'] = (
      configs.PRESETS[args.preset].retrieval.as_custom_config())
  print('wrote ' + baselines.write_results(
      result, os.path.join(REPO, 'benchmarks', 'results'),
      run_ranking.results_file(f'retrieval_{splits.LAST1}', args.preset)))


if __name__ == '__main__':
  main()
