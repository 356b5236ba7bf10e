"""Evaluates the two stages side by side: retrieval alone, and retrieve -> rank.

The targets are the RetrievalEvaluator's: each user's newest eval rating,
everything rated before it excluded. The retrieval model's serving
signature lists its top candidates; the ranking model's `rank` signature
reorders them. Both orders are scored on the same users (HR@10/50/100,
NDCG@10, and HR@10 of the targets the user liked), with the paired
bootstrap interval of the NDCG@10 difference. The ranking model is blessed
for pushing only when TFMA blessed its rating heads and reordering costs no
NDCG@10: a ranking stage that orders worse than retrieval alone is not
shipped.
"""

import json
import os
from typing import Callable

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.types import artifact_utils
from tfx.utils import path_utils

from components import retrieval_evaluator
from contract import features
from contract import retrieval_metrics
from models import signatures

METRICS_FILE = 'two_stage_metrics.json'
RETRIEVAL = 'retrieval'
TWO_STAGE = 'two_stage'
BLESSING_METRIC = 'ndcg@10'
LIKED_HIT_RATE = 'liked_hr@10'
_REQUEST_BATCH = 256


def reordered_ranks(movie_ids: np.ndarray, scores: np.ndarray,
                    order_scores: np.ndarray,
                    target_movie_ids: np.ndarray) -> np.ndarray:
  """Each target's rank among its list's candidates by `order_scores`, or MISS."""
  in_list = (movie_ids == target_movie_ids[:, np.newaxis]) & np.isfinite(scores)
  found = in_list.any(axis=1)
  ranks = np.full(len(movie_ids), retrieval_metrics.MISS, np.int64)
  if found.any():
    ranks[found] = retrieval_metrics.target_ranks(
        order_scores[found], in_list[found].argmax(axis=1),
        [()] * int(found.sum()))
  return ranks


def ranked_lists(retrieve: Callable[..., dict[str, tf.Tensor]],
                 rank: Callable[..., dict[str, tf.Tensor]],
                 requests: list[bytes]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Retrieval's movie ids and scores of each request, and the ranking stage's scores."""
  movie_ids, scores = retrieval_evaluator.served_lists(retrieve, requests)
  ordering = []
  for start in range(0, len(requests), _REQUEST_BATCH):
    stop = start + _REQUEST_BATCH
    ordering.append(rank(
        examples=tf.constant(requests[start:stop]),
        candidate_movie_ids=tf.constant(movie_ids[start:stop], tf.int64),
        candidate_retrieval_scores=tf.constant(scores[start:stop]),
    )[features.ENGAGEMENT_HEAD].numpy())
  return movie_ids, scores, np.concatenate(ordering)


def _rating(request: bytes) -> float:
  """An eval request's rating, an int or a float as its format has it."""
  rating = tf.train.Example.FromString(request).features.feature[
      features.RATING]
  return (rating.int64_list.value or rating.float_list.value)[0]


def _side(ranks: np.ndarray, liked: np.ndarray) -> dict:
  return {**retrieval_metrics.metrics(ranks),
          LIKED_HIT_RATE: float(np.mean(retrieval_metrics.per_user_gains(
              ranks[liked], 'hr@10'))) if liked.any() else float('nan'),
          'hit_rate_curve': retrieval_metrics.hit_rate_curve(ranks)}


def evaluate(examples_uri: Callable[[str], str], retrieval_model_dir: str,
             ranking_model_dir: str) -> dict:
  """Both orders' metrics on the eval targets, and their paired differences."""
  _, targets = retrieval_evaluator.eval_targets(examples_uri)
  retrieve = tf.saved_model.load(retrieval_model_dir).signatures[
      signatures.SERVING_DEFAULT]
  rank = tf.saved_model.load(ranking_model_dir).signatures[signatures.RANK]
  movie_ids, scores, ordering = ranked_lists(retrieve, rank, targets.requests)
  liked = np.array([_rating(request) for request in targets.requests]
                   ) >= features.LIKED_MIN_RATING
  ranks = {RETRIEVAL: reordered_ranks(movie_ids, scores, scores,
                                      targets.movie_ids),
           TWO_STAGE: reordered_ranks(movie_ids, scores, ordering,
                                      targets.movie_ids)}
  return {
      'targets': len(targets.movie_ids),
      'liked_targets': int(liked.sum()),
      'candidates': int(movie_ids.shape[1]),
      **{side: _side(side_ranks, liked) for side, side_ranks in ranks.items()},
      **{f'{metric}_delta_ci95': retrieval_metrics.paired_difference_ci95(
          ranks[TWO_STAGE], ranks[RETRIEVAL], metric)
         for metric in ('hr@10', 'ndcg@10')},
  }


def read_metrics(evaluation_uri: str) -> dict:
  """The metrics a TwoStageEvaluator wrote into its evaluation artifact."""
  with tf.io.gfile.GFile(os.path.join(evaluation_uri, METRICS_FILE)) as f:
    return json.load(f)


def is_blessed(metrics: dict, min_gain: float) -> bool:
  """Whether reordering keeps NDCG@10 at least `min_gain` above retrieval's."""
  return (metrics[TWO_STAGE][BLESSING_METRIC] -
          metrics[RETRIEVAL][BLESSING_METRIC]) >= min_gain


@tfx.dsl.components.component
def TwoStageEvaluator(  # pylint: disable=invalid-name
    examples: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Examples],
    retrieval_model: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Model],
    ranking_model: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Model],
    rating_blessing: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.ModelBlessing],
    evaluation: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.ModelEvaluation],
    blessing: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.ModelBlessing],
    min_ndcg_gain: tfx.dsl.components.Parameter[float],
) -> None:
  """Writes both orders' metrics; blesses the ranking model for the Pusher.

  Blessed when the Evaluator blessed its rating heads and the two-stage
  NDCG@10 is at least `min_ndcg_gain` above retrieval's alone.
  """
  metrics = evaluate(
      lambda split: artifact_utils.get_split_uri([examples], split),
      path_utils.serving_model_path(retrieval_model.uri),
      path_utils.serving_model_path(ranking_model.uri))
  with tf.io.gfile.GFile(os.path.join(evaluation.uri, METRICS_FILE), 'w') as f:
    json.dump(metrics, f, indent=1)
  blessing.set_int_custom_property('blessed', int(
      rating_blessing.get_int_custom_property('blessed') == 1 and
      is_blessed(metrics, min_ndcg_gain)))
