"""The two-stage evaluation: both orders on the same targets, and the gate."""

import numpy as np

from components import retrieval_evaluator
from components import two_stage_evaluator
from contract import paths
from contract import retrieval_metrics


def test_a_targets_rank_follows_the_order_its_list_is_given():
  movie_ids = np.array([[10, 11, 12], [20, 21, 22], [30, 31, 32]])
  scores = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, -np.inf],
                     [3.0, 2.0, 1.0]])
  ordering = np.array([[0.1, 0.5, 0.9], [0.0, 1.0, 9.0], [1.0, 2.0, 3.0]])
  targets = np.array([11, 22, 99])
  assert two_stage_evaluator.reordered_ranks(
      movie_ids, scores, scores, targets).tolist() == [
          1, retrieval_metrics.MISS, retrieval_metrics.MISS]
  # The second list's target sits in an empty slot: still a miss.
  assert two_stage_evaluator.reordered_ranks(
      movie_ids, scores, ordering, targets).tolist() == [
          1, retrieval_metrics.MISS, retrieval_metrics.MISS]
  assert two_stage_evaluator.reordered_ranks(
      movie_ids, scores, -ordering, np.array([12, 20, 30])).tolist() == [
          2, 0, 0]


def test_the_gate_blesses_a_ranking_stage_no_worse_than_retrieval():
  metrics = {two_stage_evaluator.RETRIEVAL: {'ndcg@10': 0.19},
             two_stage_evaluator.TWO_STAGE: {'ndcg@10': 0.19}}
  assert two_stage_evaluator.is_blessed(metrics, 0.0)
  assert not two_stage_evaluator.is_blessed(metrics, 0.001)
  metrics[two_stage_evaluator.TWO_STAGE]['ndcg@10'] = 0.185
  assert not two_stage_evaluator.is_blessed(metrics, 0.0)


def test_the_run_measures_both_orders_on_the_retrieval_evaluators_targets(
    run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  root = paths.pipeline_root(run.output_dir)
  metrics = two_stage_evaluator.read_metrics(paths.latest_output(
      root, paths.TWO_STAGE_EVALUATOR, 'evaluation'))
  alone = retrieval_evaluator.read_metrics(paths.latest_output(
      root, paths.RETRIEVAL_EVALUATOR, 'evaluation'))
  assert metrics['targets'] == alone['targets']
  for name in ('hr@10', 'hr@50', 'ndcg@10'):
    assert metrics[two_stage_evaluator.RETRIEVAL][name] == alone[name]
  low, high = metrics['ndcg@10_delta_ci95']
  delta = (metrics[two_stage_evaluator.TWO_STAGE]['ndcg@10'] -
           metrics[two_stage_evaluator.RETRIEVAL]['ndcg@10'])
  assert low <= delta <= high
  assert 0 < metrics['liked_targets'] < metrics['targets']
  for side in (two_stage_evaluator.RETRIEVAL, two_stage_evaluator.TWO_STAGE):
    assert len(metrics[side]['hit_rate_curve']) == (
        retrieval_metrics.CURVE_MAX_K)
