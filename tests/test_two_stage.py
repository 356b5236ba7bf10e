"""The two-stage benchmark: candidate orderings and target ranks under each."""

import numpy as np

from benchmarks import two_stage
from components import retrieval_evaluator
from contract import paths
from contract import retrieval_metrics
from serving import recommend


def test_each_ordering_scores_candidates_by_its_own_rule():
  retrieval = np.array([3.0, 2.0, 1.0])
  liked = np.array([0.1, 0.9, 0.5])
  rating = np.array([4.5, 3.0, 4.0])
  scores = two_stage.orderings(retrieval, liked, rating)
  np.testing.assert_array_equal(scores[two_stage.RETRIEVAL], retrieval)
  np.testing.assert_array_equal(scores[two_stage.LIKED], liked)
  np.testing.assert_array_equal(scores[two_stage.RATING], rating)
  np.testing.assert_allclose(scores[two_stage.blend_name(2.0)],
                             retrieval + 2.0 * np.log(liked))
  assert set(scores) == {two_stage.RETRIEVAL, two_stage.LIKED,
                         two_stage.RATING} | {
                             two_stage.blend_name(weight)
                             for weight in two_stage.BLEND_WEIGHTS}


def test_the_retrieval_ordering_ranks_targets_as_the_evaluator_does(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  _, targets = retrieval_evaluator.eval_targets(
      lambda split: paths.latest_ingested_split(run.output_dir, split))
  retrieval, ranking = recommend.load_pushed_models(run.output_dir)
  retrieve = retrieval.serve

  ranks = two_stage.ordering_ranks(retrieve, ranking.serve, targets,
                                   two_stage.MovieSides(
                                       run.data_dir, ranking.lengths.raters))

  assert ranks[two_stage.RETRIEVAL] == retrieval_evaluator.model_ranks(
      retrieve, targets)
  missed = [rank == retrieval_metrics.MISS
            for rank in ranks[two_stage.RETRIEVAL]]
  assert not all(missed)
  for name, ordering_ranks in ranks.items():
    assert len(ordering_ranks) == len(targets.movie_ids), name
    assert [rank == retrieval_metrics.MISS
            for rank in ordering_ranks] == missed, name
  assert ranks[two_stage.LIKED] != ranks[two_stage.RETRIEVAL]
