"""Impressions for the ranking stage: what a retriever showed, and what was rated.

ml-1m logs no impressions, so the pipeline makes them the way a cascade is
fed in production. The impression retriever is the retrieval Trainer's own
model trained without each user's contract.splits.IMPRESSION_POSITIONS
newest train ratings (RetrievalConfig.held_out_newest). For each of those
positions it lists its top candidates, as it would have shown them then:
the rated movie is the positive; every other candidate a negative, except
movies the user rates later in the train split, which are marked not shown
(they are false negatives, not disliked). The eval split's ratings are not
read: what training learns from must not depend on them. Each list is one
tf.Example of the `impressions` Examples artifact (split `train`): the
request's user, history and time, and features.CANDIDATE_MOVIE_IDS,
CANDIDATE_SCORES, CANDIDATE_SHOWN and TARGET_PLACE. The ranking Trainer
computes the candidates' features from them (models/candidate_features.py),
so training and serving share one feature code.
"""

import os
from typing import Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from tfx import v1 as tfx
from tfx.types import artifact_utils
from tfx.utils import path_utils

from components import retrieval_evaluator
from contract import features
from contract import paths
from contract import splits
from models import engagement
from models import signatures

FILE_NAME = 'impressions.tfrecord.gz'
# Requests served and written at a time: their bytes, their 300-candidate
# lists and the lists' examples come to tens of MB, whatever the users. A
# multiple of the serving batch, so the model scores the same batches.
LIST_CHUNK = 4096
# What a list keeps of its request: the ranking stage's request, and whose.
_REQUEST_SPEC = {**engagement.REQUEST_SPEC,
                 features.USER_ID: tf.io.FixedLenFeature([], tf.int64)}


def position_targets(ratings: retrieval_evaluator.Ratings,
                     earlier: retrieval_evaluator.EarlierMovies,
                     serialized: Sequence[bytes] | Mapping[int, bytes],
                     rows: np.ndarray
                     ) -> tuple[retrieval_evaluator.Targets, list[np.ndarray]]:
  """Requests for the ratings at `rows`, and the movies each user rates later.

  `earlier` looks up `ratings`' movies by user (built once: it sorts them all).
  """
  excluded, later = [], []
  for row in rows:
    user, count = ratings.user_ids[row], ratings.earlier_counts[row]
    excluded.append(earlier.of(user, count))
    everything = earlier.of(user, np.iinfo(np.int64).max)
    later.append(np.setdiff1d(everything, earlier.of(user, count + 1)))
  return retrieval_evaluator.Targets(
      requests=[retrieval_evaluator.with_excluded_movies(serialized[row], movies)
                for row, movies in zip(rows, excluded)],
      movie_ids=ratings.movie_ids[rows], excluded_movie_ids=excluded), later


def target_places(movie_ids: np.ndarray, targets: np.ndarray) -> np.ndarray:
  """Each target's place in its list of candidates, or features.NO_TARGET."""
  hits = movie_ids == targets[:, np.newaxis]
  return np.where(hits.any(axis=1), hits.argmax(axis=1), features.NO_TARGET)


def list_examples(requests: list[bytes], movie_ids: np.ndarray,
                  scores: np.ndarray, shown: np.ndarray,
                  places: np.ndarray) -> list[bytes]:
  """The lists as serialized tf.Examples: the request's user, history, time, and candidates."""
  parsed = tf.io.parse_example(tf.constant(requests), _REQUEST_SPEC)
  user_ids = parsed[features.USER_ID].numpy()
  histories = parsed[features.HISTORY].numpy()
  timestamps = parsed[features.TIMESTAMP].numpy()
  serialized = []
  for row in range(len(requests)):
    example = tf.train.Example()
    feature = example.features.feature
    feature[features.USER_ID].int64_list.value.append(int(user_ids[row]))
    feature[features.HISTORY].int64_list.value[:] = histories[row].tolist()
    feature[features.TIMESTAMP].int64_list.value.append(int(timestamps[row]))
    feature[features.CANDIDATE_MOVIE_IDS].int64_list.value[:] = (
        movie_ids[row].tolist())
    feature[features.CANDIDATE_SCORES].float_list.value[:] = (
        scores[row].tolist())
    feature[features.CANDIDATE_SHOWN].int64_list.value[:] = (
        shown[row].astype(np.int64).tolist())
    feature[features.TARGET_PLACE].int64_list.value.append(int(places[row]))
    serialized.append(example.SerializeToString())
  return serialized


def impression_lists(train_split_uri: str, model_dir: str, positions: int,
                     chunk_size: int = LIST_CHUNK) -> Iterator[bytes]:
  """The impression retriever's lists for each user's `positions` newest train ratings.

  A chunk of `chunk_size` requests is read, served and serialized before
  the next, so only the train split's id columns grow with the ratings.
  """
  train, _ = retrieval_evaluator.read_split(train_split_uri,
                                            keep_examples=False)
  earlier = retrieval_evaluator.EarlierMovies(train)
  rows = np.flatnonzero(splits.newest_per_user(
      train.user_ids, train.earlier_counts, positions))
  serve = tf.saved_model.load(model_dir).signatures[signatures.SERVING_DEFAULT]
  for requests in retrieval_evaluator.examples_in_chunks(train_split_uri, rows,
                                                         chunk_size):
    targets, later = position_targets(
        train, earlier, requests, np.fromiter(requests, np.int64, len(requests)))
    movie_ids, scores = retrieval_evaluator.served_lists(serve,
                                                         targets.requests)
    shown = np.isfinite(scores) & ~np.array(
        [np.isin(row, movies) for row, movies in zip(movie_ids, later)],
        dtype=bool).reshape(movie_ids.shape)
    yield from list_examples(targets.requests, movie_ids, scores, shown,
                             target_places(movie_ids, targets.movie_ids))


@tfx.dsl.components.component
def ImpressionGen(  # pylint: disable=invalid-name
    examples: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Examples],
    model: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Model],
    impressions: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.Examples],
    positions: tfx.dsl.components.Parameter[int],
) -> None:
  """Writes the impression retriever's candidate lists as an Examples artifact.

  The file is written under a temporary name and renamed when complete, so
  a killed step leaves no list file a rerun could mistake for whole.
  """
  lists = impression_lists(
      artifact_utils.get_split_uri([examples], splits.TRAIN_SPLIT),
      path_utils.serving_model_path(model.uri), positions)
  split_dir = paths.split_dir(impressions.uri, splits.TRAIN_SPLIT)
  tf.io.gfile.makedirs(split_dir)
  path = os.path.join(split_dir, FILE_NAME)
  with tf.io.TFRecordWriter(path + '.partial', 'GZIP') as writer:
    for serialized in lists:
      writer.write(serialized)
  tf.io.gfile.rename(path + '.partial', path, overwrite=True)
  impressions.split_names = artifact_utils.encode_split_names(
      [splits.TRAIN_SPLIT])
