"""What the engagement head adds to the ranking Trainer, timed on a finished run.

  .venv/bin/python -m benchmarks.engagement_cost --output-dir LAST1_RUN
      # -> benchmarks/results/engagement_cost_last1.json

The ranking Trainer's time is mostly the rating heads'; this times, the way
trainer_module.run_fn runs them, the four steps the engagement head adds:
the candidate features' tables from the train split, the impression lists'
features, the fit, and saving the `rank` signature with the tables. With
the ImpressionRetrievalTrainer, ImpressionGen and TwoStageEvaluator
components' times it is what the ranking stage costs.
"""

import argparse
import os
import sys
import tempfile
import time

import tensorflow as tf

from benchmarks import bare_trainer
from benchmarks import baselines
from contract import paths
from contract import splits
from models import candidate_features
from models import engagement
from models import hyperparameters
from models import signatures
from models import training


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished run')
  args = parser.parse_args()
  root = paths.pipeline_root(args.output_dir)
  impressions = paths.split_dir(paths.latest_output(
      root, paths.IMPRESSION_GEN, 'impressions'), splits.TRAIN_SPLIT)
  result = {'command': ' '.join(sys.argv), 'machine': baselines.machine()}
  started = time.monotonic()
  tables = engagement.rating_tables(training.raw_records(
      bare_trainer.latest_raw_files(root, splits.TRAIN_SPLIT)))
  result['tables_s'] = time.monotonic() - started
  started = time.monotonic()
  features_of = candidate_features.CandidateFeatures(tables)
  with tempfile.TemporaryDirectory() as scratch:
    lists = engagement.save_lists(engagement.list_batches(
        training.raw_records([os.path.join(impressions, '*')]), features_of),
                                  os.path.join(scratch, 'impression_lists'))
    result['list_features_s'] = time.monotonic() - started
    result['lists_with_target'] = lists.count
    started = time.monotonic()
    tower = engagement.train_engagement_tower(
        lists, hyperparameters.ModelConfig(), scratch)
    result['fit_s'] = time.monotonic() - started
  # What the `rank` signature adds to the SavedModel: its trace and the
  # tables, saved here on their own (a tf.Module tracks them as the ranking
  # model does).
  started = time.monotonic()
  holder = tf.Module()
  with tempfile.TemporaryDirectory() as model_dir:
    tf.saved_model.save(holder, model_dir, signatures={
        signatures.RANK: signatures.rank_signature(holder, tower,
                                                   features_of)})
  result['rank_signature_save_s'] = time.monotonic() - started
  print('wrote ' + baselines.write_results(
      result, os.path.join(os.path.dirname(os.path.dirname(
          os.path.abspath(__file__))), 'benchmarks', 'results'),
      'engagement_cost_last1.json'))


if __name__ == '__main__':
  main()
