"""Evaluates the retrieval model the way BENCHMARKS.md's `last1` protocol does.

Each user's target is their latest held-out rating; everything the user rated
before it is excluded from the ranking, and the target's rank is read from
the model's own serving signature, so the figures measure what is pushed.
A train-popularity ranking of the same targets is the bar to clear.
"""

import dataclasses
import json
import os
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.types import artifact_utils
from tfx.utils import path_utils

from contract import features
from contract import retrieval_metrics
from contract import splits
from models import signatures

METRICS_FILE = 'retrieval_metrics.json'
POPULARITY = 'popularity'
# The cutoff at which the model must beat popularity to be blessed.
BLESSING_CUTOFF = 'hr@50'
_REQUEST_BATCH = 256
_READ_BATCH = 8192


@dataclasses.dataclass(frozen=True)
class Ratings:
  """Who rated what, and how many ratings the user had before it, per example."""
  user_ids: np.ndarray
  movie_ids: np.ndarray
  earlier_counts: np.ndarray

  @classmethod
  def concatenate(cls, parts: list['Ratings']) -> 'Ratings':
    return cls(*(np.concatenate([getattr(part, field.name) for part in parts])
                 for field in dataclasses.fields(cls)))


@dataclasses.dataclass(frozen=True)
class Targets:
  """One held-out rating per user, with the movies rated before it."""
  requests: list[bytes]
  movie_ids: np.ndarray
  excluded_movie_ids: list[np.ndarray]


_KEYS = {features.USER_ID: 'user_ids', features.MOVIE_ID: 'movie_ids',
         features.USER_RATING_COUNT: 'earlier_counts'}
_KEY_SPEC = {name: tf.io.FixedLenFeature([], tf.int64) for name in _KEYS}


def _batches(split_uri: str) -> tf.data.Dataset:
  """One split's serialized examples in batches, in the same order at every read."""
  files = sorted(tf.io.gfile.glob(os.path.join(split_uri, '*')))
  return tf.data.TFRecordDataset(files,
                                 compression_type='GZIP').batch(_READ_BATCH)


def read_split(split_uri: str, keep_examples: bool) -> tuple[Ratings,
                                                            list[bytes]]:
  """Every example of one split of an Examples artifact, and its bytes if asked."""
  parts, serialized = [], []
  for batch in _batches(split_uri):
    parsed = tf.io.parse_example(batch, _KEY_SPEC)
    parts.append(Ratings(**{field: parsed[name].numpy()
                            for name, field in _KEYS.items()}))
    if keep_examples:
      serialized.extend(batch.numpy().tolist())
  return Ratings.concatenate(parts), serialized


def examples_in_chunks(split_uri: str, rows: np.ndarray,
                       chunk_size: int) -> Iterator[dict[int, bytes]]:
  """The serialized examples at `rows` of read_split's order, `chunk_size` rows at a time.

  One read of the split, rows ascending; a caller that handles each chunk
  before the next holds only a chunk's bytes (ImpressionGen's requests).
  """
  wanted = np.unique(rows)
  chunk, start = {}, 0
  for batch in _batches(split_uri):
    stop = start + int(batch.shape[0])
    low, high = np.searchsorted(wanted, [start, stop])
    if high > low:
      values = batch.numpy()
      for row in wanted[low:high]:
        chunk[int(row)] = values[row - start]
        if len(chunk) == chunk_size:
          yield chunk
          chunk = {}
    start = stop
  if chunk:
    yield chunk


def examples_at(split_uri: str, rows: np.ndarray) -> dict[int, bytes]:
  """The serialized examples at `rows` of read_split's order, by row.

  A second read of the split, so that only the requests' bytes are held:
  with every train example's bytes kept for its 5 requests a user,
  ImpressionGen peaked at 4,021 MB on the cost curve's 3M point, and at
  2,282 MB this way (it now takes them in chunks: examples_in_chunks).
  The evaluators read their one target a user this way.
  """
  found = {}
  for chunk in examples_in_chunks(split_uri, rows, max(len(rows), 1)):
    found.update(chunk)
  return found


def latest_per_user(ratings: Ratings) -> np.ndarray:
  """Index of each user's rating with the most earlier ratings, in user order."""
  order = np.lexsort((ratings.earlier_counts, ratings.user_ids))
  users = ratings.user_ids[order]
  is_last_of_user = np.append(users[1:] != users[:-1], True)
  return order[is_last_of_user]


class EarlierMovies:
  """Looks up the movies a user rated before a given rating, user by user."""

  def __init__(self, ratings: Ratings):
    order = np.argsort(ratings.user_ids, kind='stable')
    self._user_ids = ratings.user_ids[order]
    self._movie_ids = ratings.movie_ids[order]
    self._earlier_counts = ratings.earlier_counts[order]

  def of(self, user_id: int, earlier_count: int) -> np.ndarray:
    """The movies `user_id` rated before their `earlier_count`-th rating."""
    start, stop = np.searchsorted(self._user_ids, [user_id, user_id + 1])
    before = self._earlier_counts[start:stop] < earlier_count
    return self._movie_ids[start:stop][before]


def with_excluded_movies(serialized: bytes, excluded: np.ndarray) -> bytes:
  """A held-out example turned into a retrieval request that skips `excluded`."""
  example = tf.train.Example.FromString(serialized)
  example.features.feature[features.EXCLUDED_MOVIE_IDS].int64_list.value[:] = (
      excluded.tolist())
  return example.SerializeToString()


def held_out_targets(train: Ratings, held_out: Ratings,
                     held_out_examples: Sequence[bytes] | Mapping[int, bytes]
                     ) -> Targets:
  """Each user's latest held-out rating as a request excluding earlier movies."""
  earlier_movies = EarlierMovies(Ratings.concatenate([train, held_out]))
  latest = latest_per_user(held_out)
  excluded = [earlier_movies.of(held_out.user_ids[i], held_out.earlier_counts[i])
              for i in latest]
  return Targets(
      requests=[with_excluded_movies(held_out_examples[i], movies)
                for i, movies in zip(latest, excluded)],
      movie_ids=held_out.movie_ids[latest],
      excluded_movie_ids=excluded)


def ranks_in_top_lists(top_movie_ids: np.ndarray, top_scores: np.ndarray,
                       target_movie_ids: np.ndarray) -> list[int]:
  """Each target's position in its served list, MISS when it is not there."""
  ranks = []
  for movies, scores, target in zip(top_movie_ids, top_scores,
                                    target_movie_ids):
    hits = np.flatnonzero((movies == target) & np.isfinite(scores))
    ranks.append(int(hits[0]) if hits.size else retrieval_metrics.MISS)
  return ranks


def served_lists(serve: Callable[..., dict[str, tf.Tensor]],
                 requests: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
  """Each request's served movie ids and scores, best first."""
  movie_ids, scores = [], []
  for start in range(0, len(requests), _REQUEST_BATCH):
    served = serve(examples=tf.constant(requests[start:start + _REQUEST_BATCH]))
    movie_ids.append(served[features.RETRIEVED_MOVIE_IDS].numpy())
    scores.append(served[features.RETRIEVAL_SCORES].numpy())
  return np.concatenate(movie_ids), np.concatenate(scores)


def model_ranks(serve: Callable[..., dict[str, tf.Tensor]],
                targets: Targets) -> list[int]:
  """Ranks of the targets in the model's served top lists."""
  return ranks_in_top_lists(*served_lists(serve, targets.requests),
                            targets.movie_ids)


def popularity_ranks(train: Ratings, targets: Targets) -> list[int]:
  """Ranks of the targets when every movie is scored by its train count."""
  movies, counts = np.unique(train.movie_ids, return_counts=True)
  column = {movie: index for index, movie in enumerate(movies)}
  ranks = []
  for target, excluded in zip(targets.movie_ids, targets.excluded_movie_ids):
    if target not in column:
      ranks.append(retrieval_metrics.MISS)
      continue
    ranks.append(retrieval_metrics.target_rank(
        counts, column[target],
        [column[movie] for movie in excluded if movie in column]))
  return ranks


def eval_targets(examples_uri: Callable[[str], str]) -> tuple[Ratings, Targets]:
  """The train ratings, and each user's latest eval rating as a target."""
  train, _ = read_split(examples_uri(splits.TRAIN_SPLIT), keep_examples=False)
  held_out, _ = read_split(examples_uri(splits.EVAL_SPLIT), keep_examples=False)
  return train, held_out_targets(
      train, held_out, examples_at(examples_uri(splits.EVAL_SPLIT),
                                   latest_per_user(held_out)))


def evaluate(examples_uri: Callable[[str], str], model_dir: str,
             split_protocol: str) -> dict:
  """The retrieval metrics of a model and of popularity on the same targets."""
  train, targets = eval_targets(examples_uri)
  serve = tf.saved_model.load(model_dir).signatures[signatures.SERVING_DEFAULT]
  ranks = model_ranks(serve, targets)
  return {
      'protocol': split_protocol,
      'targets': len(ranks),
      **retrieval_metrics.metrics(ranks),
      'hit_rate_curve': retrieval_metrics.hit_rate_curve(ranks),
      POPULARITY: retrieval_metrics.metrics(popularity_ranks(train, targets)),
  }


def read_metrics(evaluation_uri: str) -> dict:
  """The metrics a RetrievalEvaluator wrote into its evaluation artifact."""
  with tf.io.gfile.GFile(os.path.join(evaluation_uri, METRICS_FILE)) as f:
    return json.load(f)


def is_blessed(metrics: dict, min_gain_over_popularity: float) -> bool:
  """Whether the model finds enough more targets than popularity does."""
  return (metrics[BLESSING_CUTOFF] - metrics[POPULARITY][BLESSING_CUTOFF]
          >= min_gain_over_popularity)


@tfx.dsl.components.component
def RetrievalEvaluator(  # pylint: disable=invalid-name
    examples: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Examples],
    model: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Model],
    evaluation: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.ModelEvaluation],
    blessing: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.ModelBlessing],
    split_protocol: tfx.dsl.components.Parameter[str],
    min_gain_over_popularity: tfx.dsl.components.Parameter[float],
) -> None:
  """Writes HR@K and NDCG@10 of the retrieval model and blesses or rejects it.

  The blessing carries no `current_model_id`, so the ranking Evaluator's
  latest-blessed-model resolver never takes a retrieval model as its baseline.
  """
  metrics = evaluate(
      lambda split: artifact_utils.get_split_uri([examples], split),
      path_utils.serving_model_path(model.uri), split_protocol)
  with tf.io.gfile.GFile(os.path.join(evaluation.uri, METRICS_FILE), 'w') as f:
    json.dump(metrics, f, indent=1)
  blessing.set_int_custom_property(
      'blessed', int(is_blessed(metrics, min_gain_over_popularity)))
