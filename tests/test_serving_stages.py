"""The serving stages benchmark: its stages are prefixes of the real request."""

import numpy as np
import tensorflow as tf

from benchmarks import bare_trainer
from benchmarks import serving_quality
from benchmarks import serving_stages
from contract import features
from contract import formats
from contract import paths
from contract import splits
from models import signatures
from serving import scoring


def test_the_stages_end_in_serving_defaults_scores_and_are_all_timed(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  pipeline_root = paths.pipeline_root(run.output_dir)
  stage_fns = serving_stages.stages(
      bare_trainer.latest_transform_graph(pipeline_root),
      bare_trainer.latest_sizes(pipeline_root), members=2)
  rows = scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, splits.EVAL_SPLIT))
  requests = serving_quality.one_user_requests(
      rows, scoring.load_schema(formats.ML_1M),
      serving_quality.WARMUP_REQUESTS + 5)

  request = tf.constant(requests[0])
  np.testing.assert_allclose(
      stage_fns['whole_request'](request),
      tf.reduce_sum(stage_fns[signatures.SERVING_DEFAULT](request)[
          features.RATING_HEAD]), rtol=1e-5)
  latencies = serving_stages.stage_latencies(stage_fns, requests)
  assert set(latencies) == {f'{name}_p{q}_ms' for name in stage_fns
                            for q in (50, 99)}
  for name in stage_fns:
    assert 0 < latencies[f'{name}_p50_ms'] <= latencies[f'{name}_p99_ms']
