"""The two-stage system on held-out targets: retrieve 300 movies, order them, measure.

The paper's second stage orders the retrieval model's top 300 movies by the
ranking model (`ytdnn recommend --order-by liked`). This measures, on
BENCHMARKS.md's `last1` targets, HR@K and NDCG@10 of each way to order the
300, to choose `recommend`'s default:

  retrieval   the retrieval model's own order (no second stage);
  liked       the ranking model's liked probability;
  rating      its predicted rating;
  blend_W     retrieval logit + W * log(liked probability), W in BLEND_WEIGHTS.

The ranking model scores each candidate as the pipeline's examples are built:
the held-out example's user side and the candidate's movie side, with the
movie's rating count as known just before the held-out rating.

The ordering is chosen on the carve-out of the last1 train split (each user's
latest train rating; both models trained on the rest of the split), never on
eval; `benchmarks/run_retrieval.py` measures the same orderings on the eval
targets with the pushed models:

  .venv/bin/python -m benchmarks.two_stage --output-dir OUT --data-dir DATA

OUT is a finished `ytdnn run --split-protocol last1`.
"""

import argparse
import collections
import json
import time
from typing import Mapping

import numpy as np
import tensorflow as tf

from benchmarks import bare_trainer
from benchmarks import tune_retrieval
from components import retrieval_evaluator
from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import report
from components.ingestion import validate
from contract import features
from contract import paths
from contract import retrieval_metrics
from models import hyperparameters
from models import signatures
from models import training
from serving import recommend
from serving import scoring


RETRIEVAL = features.ORDER_BY_RETRIEVAL
LIKED = features.ORDER_BY_LIKED
RATING = 'rating'
BLEND_WEIGHTS = (0.5, 1.0, 2.0, 4.0, 8.0)
# Held-out users whose candidates are scored per call of the ranking model.
_USERS_PER_BATCH = 64


def blend_name(weight: float) -> str:
  return f'blend_{weight:g}'


def orderings(retrieval_scores: np.ndarray, liked: np.ndarray,
              predicted_rating: np.ndarray) -> dict[str, np.ndarray]:
  """Each ordering's score of every candidate: higher comes first."""
  log_liked = np.log(np.maximum(liked, 1e-7))
  scores = {RETRIEVAL: retrieval_scores, LIKED: liked,
            RATING: predicted_rating}
  scores.update({blend_name(weight): retrieval_scores + weight * log_liked
                 for weight in BLEND_WEIGHTS})
  return scores


class MovieSides:
  """Each movie's side of an example, with its context at a given time."""

  def __init__(self, data_dir: str, raters_length: int):
    records = validate.read_valid_records(data_dir)
    self.data_format = records.data_format
    self.movies = {movie.movie_id: movie for movie in records.movies}
    self._raters = examples.raters_by_movie(records.ratings)
    self._raters_length = raters_length

  def values(self, movie_id: int, timestamp: int) -> dict[str, outputs.Value]:
    return outputs.movie_values(self.movies[movie_id], examples.movie_context(
        self._raters.get(movie_id, examples.NO_RATERS), timestamp,
        self._raters_length))


def _timestamp(serialized: bytes) -> int:
  example = tf.train.Example.FromString(serialized)
  return example.features.feature[features.TIMESTAMP].int64_list.value[0]


def ordering_ranks(retrieve: recommend.Serve, rank: recommend.Serve,
                   targets: retrieval_evaluator.Targets,
                   movie_sides: MovieSides) -> dict[str, list[int]]:
  """Each target's rank under each ordering of its retrieved candidates."""
  schema = scoring.load_schema(movie_sides.data_format)
  known_movies = np.array(list(movie_sides.movies))
  ranks = collections.defaultdict(list)
  for start in range(0, len(targets.requests), _USERS_PER_BATCH):
    requests = targets.requests[start:start + _USERS_PER_BATCH]
    served = retrieve(examples=tf.constant(requests))
    candidate_lists = []
    for movie_ids, scores in zip(
        served[features.RETRIEVED_MOVIE_IDS].numpy(),
        served[features.RETRIEVAL_SCORES].numpy()):
      kept = np.isfinite(scores) & np.isin(movie_ids, known_movies)
      candidate_lists.append((movie_ids[kept], scores[kept]))
    joined = []
    for request, (movie_ids, _) in zip(requests, candidate_lists):
      timestamp = _timestamp(request)
      joined.extend(recommend.joined_examples(request, scoring.serialize_rows(
          [movie_sides.values(int(movie), timestamp) for movie in movie_ids],
          schema)))
    ranked = scoring.score(rank, joined)
    offset = 0
    for (movie_ids, scores), target in zip(
        candidate_lists, targets.movie_ids[start:start + _USERS_PER_BATCH]):
      end = offset + len(movie_ids)
      by_ordering = orderings(scores,
                              ranked[features.LIKED_HEAD][offset:end, 0],
                              ranked[features.RATING_HEAD][offset:end, 0])
      offset = end
      hits = np.flatnonzero(movie_ids == target)
      for name, ordering_scores in by_ordering.items():
        ranks[name].append(
            retrieval_metrics.target_rank(ordering_scores, int(hits[0]), [])
            if hits.size else retrieval_metrics.MISS)
  return dict(ranks)


def ordering_metrics(ranks: Mapping[str, list[int]]) -> dict[str, dict]:
  return {name: retrieval_metrics.metrics(values)
          for name, values in ranks.items()}


def on_eval(data_dir: str, output_dir: str) -> dict[str, dict]:
  """Each ordering's metrics on a run's eval targets, with its pushed models."""
  _, targets = retrieval_evaluator.eval_targets(
      lambda split: paths.latest_ingested_split(output_dir, split))
  retrieval, ranking = recommend.load_pushed_models(output_dir)
  return ordering_metrics(ordering_ranks(
      retrieval.serve, ranking.serve, targets,
      MovieSides(data_dir, ranking.lengths.raters)))


def ingested_raters_length(output_dir: str) -> int:
  """The raters length of the run's newest ingestion, whose examples the carve-out holds."""
  return report.read_report(paths.latest_output(
      paths.pipeline_root(output_dir), paths.INGESTION,
      'report'))['raters_length']


def _ranking_serve(carve: tune_retrieval.Holdout,
                   config: hyperparameters.ModelConfig) -> recommend.Serve:
  """The serving signature of a ranking model trained without the carve-out.

  Trains on the examples the retrieval model's hold-out already transformed,
  without the sequence positions only the retrieval model reads.
  """
  data = training.take(
      {name: value for name, value in carve.data.items()
       if name != features.SEQUENCE_POSITION},
      tf.constant(np.flatnonzero(~carve.held_out)))
  model, _ = bare_trainer.fit(data, carve.sizes, config)
  return signatures.make_signatures(model, carve.tf_transform_output)[
      signatures.SERVING_DEFAULT]


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished last1 run')
  parser.add_argument('--data-dir', required=True,
                      help='the raw files that run ingested')
  args = parser.parse_args()
  started = time.monotonic()
  carve = tune_retrieval.carve_out(args.output_dir)
  retrieve = tune_retrieval.train_retrieval(
      carve, hyperparameters.RetrievalConfig()).serve
  rank = _ranking_serve(carve, hyperparameters.ModelConfig())
  trained_s = time.monotonic() - started
  ranks = ordering_ranks(
      retrieve, rank, carve.targets,
      MovieSides(args.data_dir, ingested_raters_length(args.output_dir)))
  print(json.dumps({'carve_out_targets': len(carve.targets.movie_ids),
                    'train_s': trained_s,
                    'measure_s': time.monotonic() - started - trained_s,
                    'orderings': ordering_metrics(ranks)}))


if __name__ == '__main__':
  main()
